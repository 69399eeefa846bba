--[[
  The Job controller lets go of a Job's sync lease (if it still holds it: a lease that expired may be
  another's), and learns whether another sync was asked for meanwhile.

  KEYS[1] the Job's sync lease   KEYS[2] its "sync again" flag
  ARGV[1] the holder's token

  Returns 1 when another sync was asked for, else 0.
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) end
return redis.call("EXISTS", KEYS[2])
