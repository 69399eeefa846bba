--[[
  Ends one sync of a CronJob: schedules its next sync and releases the lease, if the caller still
  holds it (a holder whose lease expired leaves both to the process that took it over). A CronJob
  deleted meanwhile leaves the schedule; one recreated under the same name (another uid) keeps the
  wake-up its creation set.

  KEYS[1] the CronJob's sync lease
  KEYS[2] the wake-up schedule (ZSET "ns/name" -> ms)
  KEYS[3] the CronJob (HASH, field uid)
  ARGV[1] the caller's token
  ARGV[2] the member "ns/name"
  ARGV[3] the next sync, ms ("+inf": none until something changes)
  ARGV[4] the uid of the CronJob synced

  Returns 1 when scheduled, 0 when the lease was lost (nothing done).
]]
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
local uid = redis.call("HGET", KEYS[3], "uid")
if not uid then
  redis.call("ZREM", KEYS[2], ARGV[2])
elseif uid == ARGV[4] then
  redis.call("ZADD", KEYS[2], ARGV[3], ARGV[2])
end
redis.call("DEL", KEYS[1])
return 1
