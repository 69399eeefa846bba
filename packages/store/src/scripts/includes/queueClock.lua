-- The pod queue's fair-queueing clock: the score of its head (the lowest entry due), or the Redis time
-- (ms) when none is due. Entries queued now are scored from it, two microseconds apart, so a Job queued
-- behind another's backlog takes turns with it from the head on, instead of waiting for its tail (see queues.ts).
local function queueClock(queueKey, now)
  local head = redis.call("ZRANGE", queueKey, 0, 0, "WITHSCORES")
  local at = tonumber(head[2] or "")
  if at and at < now then return at end
  return now
end

-- A score as ZADD takes it: Lua would print a number with 14 digits, too few for the microseconds of ms since 1970.
local function score(ms)
  return string.format("%.3f", ms)
end
