--[[
  The Job controller takes a Job's sync lease (one process syncs a Job at a time) and, if it got it,
  forgets the "sync again" requests made so far: the sync it is about to run sees what they asked for.

  KEYS[1] the Job's sync lease (STRING token with an expiry)   KEYS[2] its "sync again" flag
  ARGV[1] the taker's token   ARGV[2] the lease's length, ms

  Returns 1 when taken, 0 when another process holds it.
]]
if redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then
  redis.call("DEL", KEYS[2])
  return 1
end
return 0
