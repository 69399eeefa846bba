--[[
  Takes, renews or releases the lease on a worker node name: at most one live worker per name.
  The holder renews it with every heartbeat; a holder that stops (killed, frozen, cut off) loses
  it when it expires, and the next worker of that name can take it.

  KEYS[1] the node name's lease (STRING: holder token, with an expiry)
  ARGV[1] the caller's token (random, one per worker process)
  ARGV[2] "take" (take it when free or expired, renew it when the caller holds it) or "release"
  ARGV[3] lease duration, ms (take)

  Returns {1} taken, renewed or released;
          {0, holder, ttlMs} another token holds it (ttlMs: how long until it expires unless renewed);
          {0, "", 0} release of a lease the caller does not hold (nothing done).
]]
local holder = redis.call("GET", KEYS[1])
if ARGV[2] == "release" then
  if holder == ARGV[1] then
    redis.call("DEL", KEYS[1])
    return {1}
  end
  return {0, "", 0}
end
if holder and holder ~= ARGV[1] then
  return {0, holder, redis.call("PTTL", KEYS[1])}
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[3])
return {1}
