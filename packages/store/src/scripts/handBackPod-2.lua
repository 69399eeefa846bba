--[[
  A worker node hands a pod's entry back to the pod queue, due ARGV[2] ms from now on the Redis
  clock (its node is full, draining, its Docker Engine does not answer, or the pod does not fit it:
  its selector, affinity, tolerations or requests), and lets go of it in the taken set. An entry
  queued again meanwhile keeps the earlier due time.

  An entry handed back due at once gets back its place (ARGV[4], the score it was taken with), or
  the front (the queue's clock: see queueClock).

  KEYS[1] the pod queue (ZSET member -> due ms)   KEYS[2] the taken entries (ZSET member -> lease end ms)
  ARGV[1] the entry ("ns/name")   ARGV[2] delay, ms
  ARGV[3] the wake-up channel: an entry due at once (the pod fits another node) wakes the nodes,
          the message naming its placement class ("" without one: see wakeMessage in queues.ts)
  ARGV[4] the entry's score when it was taken ("": unknown)

  Returns the time it is due (ms; now when due at once).
]]
--- @include "queueClock"

local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = now + tonumber(ARGV[2])
local at = score(due)
if tonumber(ARGV[2]) == 0 then
  local taken = tonumber(ARGV[4] or "")
  -- A score that is not a finite number (not one takePods gave) is no place: the front.
  if taken and taken == taken and taken > -math.huge and taken < math.huge then at = ARGV[4] else at = score(queueClock(KEYS[1], now)) end
end
redis.call("ZADD", KEYS[1], "LT", at, ARGV[1])
redis.call("ZREM", KEYS[2], ARGV[1])
if tonumber(ARGV[2]) == 0 then redis.call("PUBLISH", ARGV[3], string.match(ARGV[1], "#([^#]+)$") or "") end
return due
