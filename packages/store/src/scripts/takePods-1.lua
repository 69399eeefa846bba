--[[
  A worker node takes up to ARGV[1] pods that are due from the fleet's pod queue: removed from the
  queue in the same step, so that no two nodes take the same entry. An entry is "ns/name"
  (the pod record is the truth: the node's claim of the pod is the fence, an entry taken twice or
  naming a pod that is gone costs one read), scored with the time it is due (ms, Redis clock).
  Oldest first. A node that dies between taking and claiming loses nothing: the Job controller
  queues again every pod left Pending without a node (UNCLAIMED_RETRY_MS).

  KEYS[1] the pod queue (ZSET member -> due ms)
  ARGV[1] how many entries at most

  Returns {now, nextDueInMs or -1, member1, score1, member2, score2, ...}: the Redis clock (ms), and
          when nothing was due, how long until the next entry is (-1: the queue is empty).
]]
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max = tonumber(ARGV[1])
local due = redis.call("ZRANGE", KEYS[1], "-inf", now, "BYSCORE", "LIMIT", 0, max, "WITHSCORES")
if #due == 0 then
  local first = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
  if first[2] then return {now, math.max(0, tonumber(first[2]) - now)} end
  return {now, -1}
end
local members = {}
for i = 1, #due, 2 do members[#members + 1] = due[i] end
redis.call("ZREM", KEYS[1], unpack(members))
local reply = {now, 0}
for i = 1, #due do reply[#reply + 1] = due[i] end
return reply
