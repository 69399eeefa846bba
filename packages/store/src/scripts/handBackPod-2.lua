--[[
  A worker node hands a pod's entry back to the pod queue, due ARGV[2] ms from now on the Redis
  clock (its node is full, draining, its Docker Engine does not answer, or the pod's nodeSelector
  does not match it), and lets go of it in the taken set. An entry queued again meanwhile keeps
  the earlier due time.

  KEYS[1] the pod queue (ZSET member -> due ms)   KEYS[2] the taken entries (ZSET member -> lease end ms)
  ARGV[1] the entry ("ns/name")   ARGV[2] delay, ms

  Returns the due time (ms).
]]
local t = redis.call("TIME")
local due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
redis.call("ZADD", KEYS[1], "LT", due, ARGV[1])
redis.call("ZREM", KEYS[2], ARGV[1])
return due
