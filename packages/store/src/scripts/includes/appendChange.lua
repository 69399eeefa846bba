--[[
  appendChange(rv, kind, op, obj, dict): appends one change to the change stream, keeping it within
  maxLen entries and maxBytes bytes at every instant. An append costs XADD and HINCRBY, plus one
  HMGET per script call and a ZADD per 1/64 of maxBytes appended; only when a bound is crossed is
  the stream trimmed, in one go, down to 15/16 of both bounds (so trimming runs about once per
  maxLen/16 appends, and every entry is trimmed at most once).
  Needs maxLen and maxBytes (locals of the including script) and KEYS[2..4]: the change stream,
  its checkpoints (ZSET rv -> offset of the entry's first byte in all bytes ever appended: the
  first entry, one entry per maxBytes/64 bytes appended, and the entry a trim keeps first) and its
  counters (HASH bytes: appended in all; start: offset of the first entry kept, or an offset
  before it; trimmed: highest rv trimmed). The stream holds at most bytes - start bytes, and at most
  rv - trimmed entries (resourceVersions are unique and increasing): both bounds are checked by
  arithmetic, without reading the stream. A trim by bytes cuts at a checkpoint (it may take up to
  maxBytes/64 bytes more than needed); one by count cuts exactly (XTRIM MAXLEN) and counts from the
  checkpoint at or before its cut, so the bytes kept are never under-counted.
]]
-- Bytes an entry takes in the stream, roughly: its values plus field names and entry overhead.
local ENTRY_OVERHEAD = 64
-- What a trim leaves: 15/16 of each bound, so the next trim is maxLen/16 entries (or maxBytes/16 bytes) away.
local lowLen = math.max(1, math.floor(maxLen * 15 / 16))
local lowBytes = math.floor(maxBytes * 15 / 16)
-- Bytes appended between two checkpoints at most: a trim by bytes cuts at most this much too early.
local checkpointBytes = math.max(1, math.floor(maxBytes / 64))
-- Read once per script call (the script runs atomically: nothing else changes them meanwhile).
local changeStart, changeTrimmed, changeCount

-- Drops the entries before `keep` (and the checkpoints before `keepOffset`, the new start).
local function trimChanges(keep, keepOffset)
  local removed = redis.call("XTRIM", KEYS[2], "MINID", keep .. "-0")
  if changeCount then changeCount = changeCount - removed end
  -- %d: Lua's `..` would write a number past 1e14 in exponent notation, rounded.
  redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", string.format("(%d", keepOffset))
  changeStart, changeTrimmed = keepOffset, keep - 1
  redis.call("HSET", KEYS[4], "start", keepOffset, "trimmed", changeTrimmed)
end

local function appendChange(rv, kind, op, obj, dict)
  redis.call("XADD", KEYS[2], rv .. "-0", "t", kind, "k", op.kind, "ns", op.ns, "n", op.name, "o", obj, "d", dict)
  local size = #obj + #op.kind + #op.ns + #op.name + #dict + ENTRY_OVERHEAD
  local total = redis.call("HINCRBY", KEYS[4], "bytes", size)
  local offset = total - size
  if changeCount then changeCount = changeCount + 1 end
  if not changeStart then
    local info = redis.call("HMGET", KEYS[4], "start", "trimmed")
    changeTrimmed = tonumber(info[2]) or 0
    changeStart = tonumber(info[1])
    if not changeStart then
      -- A new store (or one written before `start` was kept): the oldest checkpoint, this entry if none.
      local oldest = redis.call("ZRANGE", KEYS[3], 0, 0, "WITHSCORES")
      changeStart = tonumber(oldest[2]) or offset
      redis.call("HSET", KEYS[4], "start", changeStart)
    end
  end
  if offset <= changeStart or math.floor(total / checkpointBytes) ~= math.floor(offset / checkpointBytes) then
    redis.call("ZADD", KEYS[3], offset, rv)
  end
  local overBytes = total - changeStart > maxBytes
  -- At most rv - trimmed entries are kept: the exact count is needed only when that is past lowLen.
  local span = rv - changeTrimmed
  if not overBytes and span <= maxLen then return end
  if span > lowLen then
    changeCount = changeCount or redis.call("XLEN", KEYS[2])
    if not overBytes and changeCount <= maxLen then return end
  end
  -- Trim to the low-water marks. By count: exactly the newest lowLen entries; the start then is the
  -- last checkpoint at or before the first one kept (or the start before).
  if changeCount and changeCount > lowLen then
    local removed = redis.call("XTRIM", KEYS[2], "MAXLEN", lowLen)
    changeCount = changeCount - removed
    local first = tonumber(string.match(redis.call("XRANGE", KEYS[2], "-", "+", "COUNT", 1)[1][1], "^(%d+)"))
    local keepOffset = changeStart
    local points = redis.call("ZRANGE", KEYS[3], 0, -1, "WITHSCORES")
    for i = 1, #points, 2 do
      if tonumber(points[i]) <= first then keepOffset = math.max(keepOffset, tonumber(points[i + 1])) end
    end
    trimChanges(first, keepOffset)
  end
  -- By bytes: from the first checkpoint within the last lowBytes (this entry, made one, when there
  -- is none: it stays alone when it is larger than that).
  if total - changeStart > maxBytes then
    redis.call("ZADD", KEYS[3], offset, rv)
    local byBytes = redis.call("ZRANGEBYSCORE", KEYS[3], total - lowBytes, "+inf", "WITHSCORES", "LIMIT", 0, 1)
    local keep, keepOffset = rv, offset
    if byBytes[1] then keep, keepOffset = tonumber(byBytes[1]), tonumber(byBytes[2]) end
    if keepOffset > changeStart then trimChanges(keep, keepOffset) end
  end
end
