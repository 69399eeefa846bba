--[[
  Starts one sync of a CronJob: takes its sync lease, consumes the requests to sync it (pokes) made
  so far, and moves its next wake-up to when the lease expires at the latest, so that a process
  dying in the middle of the sync delays it by one lease at most and loses no request.
  A poke made after this call stays in the set: the CronJob is synced once more.

  KEYS[1] the CronJob's sync lease (STRING: holder token, with an expiry)
  KEYS[2] the pokes (SET of "ns/name")
  KEYS[3] the wake-up schedule (ZSET "ns/name" -> ms)
  ARGV[1] the caller's token (random, one per sync)
  ARGV[2] lease duration, ms
  ARGV[3] the member "ns/name"
  ARGV[4] the backstop: the caller's clock + the lease duration, ms

  Returns 1 when the lease was taken, 0 when another process holds it (nothing done).
]]
if not redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return 0 end
redis.call("SREM", KEYS[2], ARGV[3])
local current = redis.call("ZSCORE", KEYS[3], ARGV[3])
if not current or tonumber(current) > tonumber(ARGV[4]) then
  redis.call("ZADD", KEYS[3], ARGV[4], ARGV[3])
end
return 1
