--[[
  Appends a pod's output to its log, atomically and only while the pod exists: a worker writing
  late (its pod's Job was deleted meanwhile) recreates nothing. Every bound counts what is
  stored, not what the container printed:

  - the pod's log holds at most ARGV[4] bytes; an entry costs what Redis allocates for it (its
    data, id, fields and share of a stream node, see entryCost), and the oldest entries go first
    (as a rotated kubelet log); the archive keeps within what the entries it replaces cost;
  - the Job's pods hold at most ARGV[5] bytes together (0: no budget), counted in KEYS[4]; past it
    new output is dropped, and the pod's log gets one marker entry saying so (markers are the
    only bytes allowed past the budget: at most one per pod and gap).

  Entries are stream entries whose id is "<offset>-0", the offset of their first byte in all the
  bytes the pod's log ever took (from 1): trimming to the newest N bytes is one XTRIM MINID, and
  ids stay increasing, so a follower resumes after the last id it read (logs keep the time of
  each chunk in field t, and in field r the run of the container that wrote it, its restartCount,
  when not 0). Mode "finish" also moves the stream into the archive, a compact binary-safe string
  ("JFL1\n", then per entry "<id> <t> <container> <stream> <length>[ <run>]\n<data>") kept in the
  pod's hash (field l: it goes with the pod, and costs a short log tens of bytes where a key of
  its own cost ~140), after which nothing more is appended. A pod whose whole output arrives with its finish (it ended before its
  log's first flush, within the per-pod bound and the Job's budget) gets the same archive written
  directly, never creating a stream (a stream costs Redis a 4 KiB node, and five more commands).
  The archive keeps, of each container, its last two runs (the current
  one and the previous, which `logs --previous` reads), as the kubelet keeps one previous log per
  container; while the pod runs, output of older runs goes only as the per-pod bound pushes it out.

  KEYS[1] the pod's hash (its archive: field l)        KEYS[2] its log stream
  KEYS[3] its archive as a key of its own, as written before the archive moved into the hash: only
          looked at (a pod archived so is "finished")
  KEYS[4] the Job's log byte counter
  ARGV[1] "append" | "finish"
  ARGV[2] the Job's dictionary id (what the pod's hash holds in field d)   ARGV[3] the pod's uid
  ARGV[4] pod max bytes         ARGV[5] Job max bytes (0: none)
  ARGV[6] the marker's text
  ARGV[7] the call's write id (random): an append records it in the pod's hash (field lw, with its
          answer), so that the same call replayed by the client after its reply was lost (a cut
          connection, a failover) answers as the first run did instead of appending its chunks
          again (a replayed finish finds the archive: "finished", nothing written)
  ARGV[8..] chunks, five values each: container, stream, time (ms), data, run (restartCount)

  Returns {status, storedChunks, droppedBytes}: status "ok", or "gone" (no such pod: nothing
  written) or "finished" (the log was archived already: nothing written).
]]
-- What an entry costs beyond its data, measured with MEMORY USAGE (Redis 7): its id, fields and
-- share of a stream node; an entry of more than NODE_SHARE_BYTES takes most of a node (4 KiB).
local ENTRY_COST = 160
local NODE_SHARE_BYTES = 512
local NODE_COST = 640

-- What Redis' allocator (jemalloc) takes for n bytes: each power of two is split in four size
-- classes, so a block is rounded up by at most a quarter. Bounds count this, not the data alone.
local function allocated(n)
  if n <= 64 then return 64 end
  local p = 64
  while p * 2 < n do p = p * 2 end
  return math.ceil(n / (p / 4)) * (p / 4)
end

-- An entry of a restarted container's run also has field r (its run number).
local RUN_FIELD_COST = 8

local function entryCost(dataBytes, hasRun)
  return allocated(dataBytes + ENTRY_COST + (hasRun and RUN_FIELD_COST or 0)) + (dataBytes > NODE_SHARE_BYTES and NODE_COST or 0)
end
local podMax = tonumber(ARGV[4])
local jobMax = tonumber(ARGV[5])

local pod = redis.call("HMGET", KEYS[1], "obj", "d", "lw")
if not pod[1] then return {"gone", 0, 0} end
if pod[2] and pod[2] ~= "" then
  if pod[2] ~= ARGV[2] then return {"gone", 0, 0} end
else
  local ok, decoded = pcall(cjson.decode, pod[1])
  if not ok or type(decoded) ~= "table" or type(decoded.metadata) ~= "table" or decoded.metadata.uid ~= ARGV[3] then return {"gone", 0, 0} end
end
-- A replay of the last append (lw: "<id> <stored> <dropped>"): its answer, nothing appended twice.
if ARGV[1] == "append" and pod[3] then
  local id, storedBefore, droppedBefore = string.match(pod[3], "^(%S+) (%d+) (%d+)$")
  if id == ARGV[7] then return {"ok", tonumber(storedBefore), tonumber(droppedBefore)} end
end
if redis.call("HEXISTS", KEYS[1], "l") == 1 or redis.call("EXISTS", KEYS[3]) == 1 then return {"finished", 0, 0} end

local function startOf(id) return tonumber(string.match(id, "^(%d+)")) end
local function field(fields, name)
  for i = 1, #fields, 2 do if fields[i] == name then return fields[i + 1] end end
  return nil
end

-- Where the log stands: the next entry's offset, the first kept entry's offset, whether the
-- newest entry is a marker.
local nextAt, firstAt, lastIsMarker = 1, 1, false
local last = redis.call("XREVRANGE", KEYS[2], "+", "-", "COUNT", 1)[1]
if last then
  nextAt = startOf(last[1]) + entryCost(#(field(last[2], "d") or ""), field(last[2], "r") ~= nil)
  lastIsMarker = field(last[2], "m") ~= nil
  firstAt = startOf(redis.call("XRANGE", KEYS[2], "-", "+", "COUNT", 1)[1][1])
end
local used = tonumber(redis.call("GET", KEYS[4]) or "0") or 0
local usedBefore = used

-- Appends one entry, dropping the pod's oldest ones past podMax; false when the Job's budget
-- does not allow it (markers always go).
local function append(container, stream, time, data, run, marker)
  local hasRun = run ~= "0"
  local cost = entryCost(#data, hasRun)
  if cost > podMax then
    -- Only the newest part of a chunk larger than the whole log fits.
    data = string.sub(data, -math.floor(podMax * 0.75 - ENTRY_COST - RUN_FIELD_COST - NODE_COST))
    cost = entryCost(#data, hasRun)
  end
  local after = nextAt + cost
  local keepFrom = after - podMax
  local newFirst = firstAt
  if keepFrom > firstAt then
    local kept = redis.call("XRANGE", KEYS[2], keepFrom .. "-0", "+", "COUNT", 1)[1]
    newFirst = kept and startOf(kept[1]) or nextAt
  end
  local trimmed = newFirst - firstAt
  if jobMax > 0 and not marker and used + cost - trimmed > jobMax then return false end
  local fields = {"c", container, "s", stream, "t", time, "d", data}
  if hasRun then fields[#fields + 1] = "r"; fields[#fields + 1] = run end
  if marker then fields[#fields + 1] = "m"; fields[#fields + 1] = "1" end
  redis.call("XADD", KEYS[2], nextAt .. "-0", unpack(fields))
  if newFirst > firstAt then redis.call("XTRIM", KEYS[2], "MINID", newFirst .. "-0") end
  used = used + cost - trimmed
  firstAt, nextAt = newFirst, after
  lastIsMarker = marker
  return true
end

-- Writes the archive of `entries` (as XRANGE returns them), which were counted for nextAt - firstAt
-- bytes (`pending` of which are not in the Job's counter yet), and drops the stream.
local function archive(entries, pending)
  -- The last run of each container: runs older than the one before it are not archived.
  local lastRun = {}
  for _, e in ipairs(entries) do
    local c, r = field(e[2], "c") or "", tonumber(field(e[2], "r") or "0") or 0
    if r > (lastRun[c] or 0) then lastRun[c] = r end
  end
  if #entries > 0 then
    local parts, size = {}, 5
    for _, e in ipairs(entries) do
      local c, r = field(e[2], "c") or "", field(e[2], "r")
      if (tonumber(r or "0") or 0) >= (lastRun[c] or 0) - 1 then
        local data = field(e[2], "d") or ""
        local header = e[1] .. " " .. (field(e[2], "t") or "0") .. " " .. c .. " " .. (field(e[2], "s") or "stdout") .. " " .. #data .. (r and (" " .. r) or "") .. "\n"
        parts[#parts + 1] = header .. data
        size = size + #parts[#parts]
      end
    end
    -- The archive is one block: within what its entries were counted for, the oldest going first.
    local counted, first = nextAt - firstAt, 1
    while allocated(size) > counted and first < #parts do
      size = size - #parts[first]
      first = first + 1
    end
    redis.call("HSET", KEYS[1], "l", "JFL1\n" .. table.concat(parts, "", first))
    if jobMax > 0 then redis.call("INCRBY", KEYS[4], pending + allocated(size) - counted) end
  end
  if not last then return end
  redis.call("DEL", KEYS[2])
end

-- The whole output comes with the finish, and no stream was started: the archive directly, when
-- nothing would have been trimmed or dropped on the way (else the general path below).
if ARGV[1] == "finish" and not last then
  local entries, at = {}, 1
  for i = 8, #ARGV - 4, 5 do
    local run = tostring(math.max(0, math.floor(tonumber(ARGV[i + 4]) or 0)))
    local fields = {"c", ARGV[i], "s", ARGV[i + 1], "t", ARGV[i + 2], "d", ARGV[i + 3]}
    if run ~= "0" then fields[#fields + 1] = "r"; fields[#fields + 1] = run end
    entries[#entries + 1] = {at .. "-0", fields}
    at = at + entryCost(#ARGV[i + 3], run ~= "0")
  end
  local cost = at - 1
  if cost <= podMax and (jobMax == 0 or used + cost <= jobMax) then
    nextAt = at
    archive(entries, cost)
    return {"ok", #entries, 0}
  end
end

local stored, dropped = 0, 0
for i = 8, #ARGV - 4, 5 do
  local container, stream, time, data = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local run = tostring(math.max(0, math.floor(tonumber(ARGV[i + 4]) or 0)))
  if append(container, stream, time, data, run, false) then
    stored = stored + 1
  else
    dropped = dropped + #data
    if not lastIsMarker then append(container, stream, time, ARGV[6], run, true) end
  end
end
if jobMax > 0 and used ~= usedBefore then redis.call("INCRBY", KEYS[4], used - usedBefore) end

if ARGV[1] == "finish" then
  last = true -- the stream exists now, or never will: it goes either way
  archive(redis.call("XRANGE", KEYS[2], "-", "+"), 0)
  if pod[3] then redis.call("HDEL", KEYS[1], "lw") end -- no append follows an archive
elseif stored > 0 or dropped > 0 then
  redis.call("HSET", KEYS[1], "lw", ARGV[7] .. " " .. stored .. " " .. dropped)
end
return {"ok", stored, dropped}
