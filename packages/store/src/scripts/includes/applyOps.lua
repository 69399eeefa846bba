--[[
  The interpreter of the named write transitions (WRITE_TRANSITIONS in store.ts: insertJob-4+.lua,
  commitSync-4+.lua, … and applyWrites-4+.lua, the unnamed form of tests and tools), each a script
  of its own that includes this.
  Applies a batch of object writes atomically, each guarded by the resourceVersion it expects.
  Every object is a hash {rv, obj}. Each put/del takes a new resourceVersion from the global
  counter (a call's are consecutive, taken with one INCRBY) and appends one entry to the change
  stream (id "<rv>-0") for watches. The stream is bounded both in entries and in bytes: an append
  that crosses a bound trims the oldest entries until both are down to 15/16 (the newest entry
  always stays; see appendChange). The index (ZSET rv -> offset of the entry's first byte in all
  bytes ever appended) finds the first entry to keep in O(log n), so each write runs a fixed number
  of commands, and every entry is trimmed at most once.

  KEYS[1] rv counter
  KEYS[2] change stream
  KEYS[3] change stream index (ZSET member rv, score offset)
  KEYS[4] change stream counters (HASH bytes: appended in all; start: offset of the first kept; trimmed: highest rv trimmed)
  KEYS[5..] every key the operations touch, each once; an operation names its key by its index
            in KEYS ("k"), so that the script touches only keys it was given, as Redis requires
            (the number of keys is the command's first argument: "-4+" in the file name)
  ARGV[1] change stream max entries
  ARGV[2] change stream max bytes
  ARGV[3] max bytes of one stored object (obj + ctl), as etcd's request limit
  ARGV[4] JSON array of operations (an object, its ctl, a set's value and a del's final are not in
          the JSON but arguments of their own, named by their index in ARGV: "o", "c", "v", "f"):
    {op="put", k, expect, o (obj), kind, ns, name, c (ctl)?, dict?, uid?, phase?, headroom?}
        expect: "" must not exist, "*" any, else the current rv; ctl: controller bookkeeping stored
        beside the object; dict: id of the dictionary the obj is compressed with (pods), kept with it;
        uid, phase: the object's uid / a pod's phase (storedPhase: S, F, or as it is), kept beside it so that scripts need not decode it;
        headroom: bytes the object must leave free below ARGV[3] (a user's write keeps room for the
        status the controller adds later)
    {op="del", k, expect, kind, ns, name, f (final)?}
        final: the object's JSON for the DELETED event (when the stored one is compressed)
    {op="set", k, v (value)}
    {op="sadd"|"srem"|"zadd"|"zrem", k, member, score?}     index upkeep, unconditional
    {op="iadd"|"irem", k, b, member}                        a name index's upkeep (includes/nameIndex.lua:
                                                            k its bounds, b its buckets), unconditional
    {op="delkey", k}
    {op="hdel", k, field}                                   drops a field of a hash (a record of a registry)
    {op="publish", channel, message}                       (a channel is not a key)
    {op="require", k, field, value}                      a guard: the hash's field must hold value
                                                            (nothing is written otherwise; writes nothing)
  ARGV[5] the call's write id (random; "" none): every put of a Job or pod records it beside the
          object (field w, in the same HSET), so that a call replayed by the client after its reply
          was lost (the connection cut after Redis ran it, a failover) is recognised: one of its puts
          still holds this id, and it answers as the first run did instead of meeting its own write
          as a conflict. Its resourceVersions are rebuilt from that put's (one call's are
          consecutive). Not recognised: a call without such a put (events, deletes and index upkeep
          only; events carry no id, as the field would cost each one ~48 bytes of Redis).
  ARGV[6..] the operations' objects, ctls, values and finals (see ARGV[4])
  The object JSON carries the placeholder "__RV__" where its resourceVersion goes.

  Returns {1, rv1, rv2, ...} (one rv per put/del, in order) on success (and on a replay of a call
                             that was applied: the same),
          {-1, i, currentRv} when operation i (1-based) found another resourceVersion
                             (or, for a "require", another value of its field),
          {-2, i, size} when the object of put i is too large;
          nothing is written in either failure.
]]
local maxLen = tonumber(ARGV[1])
local maxBytes = tonumber(ARGV[2])
local maxObject = tonumber(ARGV[3])
local ops = cjson.decode(ARGV[4])
local writeId = ARGV[5] or ""
-- Each put/del takes the next resourceVersion: its place among them gives its rv from the first one's.
local writes, firstPut = 0, nil
for _, op in ipairs(ops) do
  if op.k then op.key = KEYS[op.k] end
  if op.o then op.obj = ARGV[op.o] end
  if op.c then op.ctl = ARGV[op.c] end
  if op.v then op.value = ARGV[op.v] end
  if op.f then op.final = ARGV[op.f] end
  if op.b then op.buckets = KEYS[op.b] end
  if op.op == "put" or op.op == "del" then
    op.at = writes
    writes = writes + 1
    if op.op == "put" and op.kind ~= "Event" and not firstPut then firstPut = op end
  end
end

-- The answer of the run that wrote `rv` at put `op` (this call, replayed).
local function firstAnswer(op, rv)
  local first = tonumber(rv) - op.at
  local result = {1}
  for j = 0, writes - 1 do result[#result + 1] = first + j end
  return result
end

-- A refusal: a replay of this call (its first put holds this call's id) answers as the first run.
local function refused(answer)
  if writeId ~= "" and firstPut then
    local stored = redis.call("HMGET", firstPut.key, "w", "rv")
    if stored[1] == writeId and stored[2] then return firstAnswer(firstPut, stored[2]) end
  end
  return answer
end

-- Whether each object key holds an object (what the checks read, then what this call wrote): a
-- put's change is ADDED or MODIFIED by it, without reading the key again.
local present = {}

for i, op in ipairs(ops) do
  if op.op == "put" then
    local size = #op.obj + #(op.ctl or "")
    if size + (op.headroom or 0) > maxObject then return {-2, i, size} end
  end
  if op.op == "require" then
    local current = redis.call("HGET", op.key, op.field)
    if current ~= op.value then return refused({-1, i, current or ""}) end
  end
  if op.op == "put" or op.op == "del" then
    local stored = redis.call("HMGET", op.key, "rv", "w")
    local current = stored[1]
    if present[op.key] == nil then present[op.key] = current and true or false end
    -- This call's id on a put's object: a replay (caught here even when the put expects "*").
    if op.op == "put" and op.kind ~= "Event" and writeId ~= "" and stored[2] == writeId and current then return firstAnswer(op, current) end
    if op.expect == "" then
      if current then return refused({-1, i, current}) end
    elseif op.expect ~= "*" then
      if current ~= op.expect then return refused({-1, i, current or ""}) end
    elseif op.op == "del" and not current then
      return refused({-1, i, ""})
    end
  end
end

--- @include "appendChange"
--- @include "compactHash"
--- @include "nameIndex"

-- The call's resourceVersions, consecutive: one counter increment for all its puts and deletes.
local firstRv = writes > 0 and redis.call("INCRBY", KEYS[1], writes) - writes + 1
local result = {1}
for _, op in ipairs(ops) do
  if op.op == "put" then
    local rv = firstRv + op.at
    local obj = string.gsub(op.obj, '"__RV__"', '"' .. rv .. '"', 1)
    local fields = {"rv", rv, "obj", obj}
    if op.kind ~= "Event" then fields[#fields + 1] = "w"; fields[#fields + 1] = writeId end
    if op.ctl then fields[#fields + 1] = "ctl"; fields[#fields + 1] = op.ctl end
    if op.uid then fields[#fields + 1] = "uid"; fields[#fields + 1] = op.uid end
    if op.phase then fields[#fields + 1] = "p"; fields[#fields + 1] = op.phase end
    if op.dict then fields[#fields + 1] = "d"; fields[#fields + 1] = op.dict end
    redis.call("HSET", op.key, unpack(fields))
    if op.kind == "Pod" and (op.phase == "S" or op.phase == "F") then compactHash(op.key) end
    appendChange(rv, present[op.key] and "MODIFIED" or "ADDED", op, obj, op.dict or "")
    present[op.key] = true
    result[#result + 1] = rv
  elseif op.op == "del" then
    local rv = firstRv + op.at
    local old = op.final or redis.call("HGET", op.key, "obj") or "{}"
    local oldRv = redis.call("HGET", op.key, "rv") or ""
    local obj = string.gsub(old, '"resourceVersion":"' .. oldRv .. '"', '"resourceVersion":"' .. rv .. '"', 1)
    redis.call("DEL", op.key)
    present[op.key] = false
    appendChange(rv, "DELETED", op, obj, "")
    result[#result + 1] = rv
  elseif op.op == "sadd" then
    redis.call("SADD", op.key, op.member)
  elseif op.op == "srem" then
    redis.call("SREM", op.key, op.member)
  elseif op.op == "zadd" then
    redis.call("ZADD", op.key, op.score or 0, op.member)
  elseif op.op == "zrem" then
    redis.call("ZREM", op.key, op.member)
  elseif op.op == "iadd" then
    nameIndexAdd(op.key, op.buckets, op.member)
  elseif op.op == "irem" then
    nameIndexRemove(op.key, op.buckets, op.member)
  elseif op.op == "set" then
    redis.call("SET", op.key, op.value)
  elseif op.op == "delkey" then
    redis.call("DEL", op.key)
    if present[op.key] ~= nil then present[op.key] = false end
  elseif op.op == "hdel" then
    redis.call("HDEL", op.key, op.field)
  elseif op.op == "publish" then
    redis.call("PUBLISH", op.channel, op.message)
  end
end
return result
