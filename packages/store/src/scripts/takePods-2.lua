--[[
  A worker node takes up to ARGV[1] pods that are due from the fleet's pod queue. An entry is
  "ns/name" (the pod record is the truth: the node's claim of the pod is the fence, an entry taken
  twice or naming a pod that is gone costs one read), scored with the time it is due (ms, Redis
  clock). Oldest first. A taken entry moves to the taken set with a lease of ARGV[2] ms, in the same
  step, so that no two nodes take it; the node's claim of the pod (claimPod-11.lua), or its
  acknowledgement, removes it there. An entry whose lease ended (its node died or hung between
  taking and claiming) is queued again first, due at once: nothing taken is lost.

  KEYS[1] the pod queue (ZSET member -> due ms)
  KEYS[2] the taken entries (ZSET member -> lease end ms)
  ARGV[1] how many entries at most   ARGV[2] the lease, ms

  Returns {nextDueInMs or -1, member1, member2, ...}: the entries taken, oldest first, and when
          nothing was due, how long until the next entry is (-1: the queue is empty).
]]
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max = tonumber(ARGV[1])

local expired = redis.call("ZRANGE", KEYS[2], "-inf", now, "BYSCORE", "LIMIT", 0, 100)
if #expired > 0 then
  for _, member in ipairs(expired) do redis.call("ZADD", KEYS[1], "NX", now, member) end
  redis.call("ZREM", KEYS[2], unpack(expired))
end

local due = redis.call("ZRANGE", KEYS[1], "-inf", now, "BYSCORE", "LIMIT", 0, max)
if #due == 0 then
  local first = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
  if first[2] then return {math.max(0, tonumber(first[2]) - now)} end
  return {-1}
end
local leases = {}
local leaseEnd = now + tonumber(ARGV[2])
for _, member in ipairs(due) do
  leases[#leases + 1] = leaseEnd
  leases[#leases + 1] = member
end
redis.call("ZREM", KEYS[1], unpack(due))
redis.call("ZADD", KEYS[2], unpack(leases))
local reply = {0}
for _, member in ipairs(due) do reply[#reply + 1] = member end
return reply
