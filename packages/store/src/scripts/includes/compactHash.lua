--[[
  compactHash(key): a hash that once held a value past hash-max-listpack-value (a pod waiting for a
  node is stored as JSON, often past 1 KiB) stays a hash table: Redis never converts it back, and a
  hash table takes ~300 bytes more than the listpack of the same fields. A pod that ended stays as
  it is now: its hash is written anew, which Redis stores compact. Touches only `key`.
]]
local function compactHash(key)
  -- A pod's hash has a handful of fields; one with many more is left as it is (unpack's bound).
  if redis.call("OBJECT", "ENCODING", key) ~= "hashtable" or redis.call("HLEN", key) > 32 then return end
  local fields = redis.call("HGETALL", key)
  redis.call("DEL", key)
  redis.call("HSET", key, unpack(fields))
end
