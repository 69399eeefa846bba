--[[
  Applies a batch of object writes atomically, each guarded by the resourceVersion it expects.
  Every object is a hash {rv, obj}. Each put/del takes a new resourceVersion from the global
  counter and appends one entry to the change stream (id "<rv>-0") for watches.

  KEYS[1] rv counter
  KEYS[2] change stream
  ARGV[1] change stream max length (approximate)
  ARGV[2] JSON array of operations:
    {op="put", key, expect, obj, kind, ns, name, ctl?, dict?, uid?, phase?}
        expect: "" must not exist, "*" any, else the current rv; ctl: controller bookkeeping stored
        beside the object; dict: id of the dictionary the obj is compressed with (pods), kept with it;
        uid, phase: the object's uid / a pod's phase, kept beside it so that scripts need not decode it
    {op="del", key, expect, kind, ns, name, final?}
        final: the object's JSON for the DELETED event (when the stored one is compressed)
    {op="set", key, value}
    {op="sadd"|"srem"|"zadd"|"zrem", key, member, score?}   index upkeep, unconditional
    {op="delkey", key}
    {op="publish", channel, message}
  The object JSON carries the placeholder "__RV__" where its resourceVersion goes.

  Returns {1, rv1, rv2, ...} (one rv per put/del, in order) on success,
          {-1, i, currentRv} when operation i (1-based) found another resourceVersion (nothing written).
]]
local ops = cjson.decode(ARGV[2])

for i, op in ipairs(ops) do
  if op.op == "put" or op.op == "del" then
    local current = redis.call("HGET", op.key, "rv")
    if op.expect == "" then
      if current then return {-1, i, current} end
    elseif op.expect ~= "*" then
      if current ~= op.expect then return {-1, i, current or ""} end
    elseif op.op == "del" and not current then
      return {-1, i, ""}
    end
  end
end

local result = {1}
local maxlen = ARGV[1]
for _, op in ipairs(ops) do
  if op.op == "put" then
    local rv = redis.call("INCR", KEYS[1])
    local obj = string.gsub(op.obj, '"__RV__"', '"' .. rv .. '"', 1)
    local existed = redis.call("EXISTS", op.key) == 1
    redis.call("HSET", op.key, "rv", rv, "obj", obj)
    if op.ctl then redis.call("HSET", op.key, "ctl", op.ctl) end
    if op.uid then redis.call("HSET", op.key, "uid", op.uid) end
    if op.phase then redis.call("HSET", op.key, "p", op.phase) end
    if op.dict then redis.call("HSET", op.key, "d", op.dict) end
    local kind = existed and "MODIFIED" or "ADDED"
    redis.call("XADD", KEYS[2], "MAXLEN", "~", maxlen, rv .. "-0", "t", kind, "k", op.kind, "ns", op.ns, "n", op.name, "o", obj, "d", op.dict or "")
    result[#result + 1] = rv
  elseif op.op == "del" then
    local rv = redis.call("INCR", KEYS[1])
    local old = op.final or redis.call("HGET", op.key, "obj") or "{}"
    local oldRv = redis.call("HGET", op.key, "rv") or ""
    local obj = string.gsub(old, '"resourceVersion":"' .. oldRv .. '"', '"resourceVersion":"' .. rv .. '"', 1)
    redis.call("DEL", op.key)
    redis.call("XADD", KEYS[2], "MAXLEN", "~", maxlen, rv .. "-0", "t", "DELETED", "k", op.kind, "ns", op.ns, "n", op.name, "o", obj, "d", "")
    result[#result + 1] = rv
  elseif op.op == "sadd" then
    redis.call("SADD", op.key, op.member)
  elseif op.op == "srem" then
    redis.call("SREM", op.key, op.member)
  elseif op.op == "zadd" then
    redis.call("ZADD", op.key, op.score or 0, op.member)
  elseif op.op == "zrem" then
    redis.call("ZREM", op.key, op.member)
  elseif op.op == "set" then
    redis.call("SET", op.key, op.value)
  elseif op.op == "delkey" then
    redis.call("DEL", op.key)
  elseif op.op == "publish" then
    redis.call("PUBLISH", op.channel, op.message)
  end
end
return result
