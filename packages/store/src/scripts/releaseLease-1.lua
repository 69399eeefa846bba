--[[
  Lets go of a lease (a STRING holding its holder's token, with an expiry) if the caller still holds
  it: a lease that expired meanwhile may be another's.

  KEYS[1] the lease   ARGV[1] the holder's token

  Returns 1 when released, 0 when the caller no longer held it.
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
