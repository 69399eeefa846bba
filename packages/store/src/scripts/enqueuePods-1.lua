--[[
  Queues pods for the worker nodes, due now (Redis clock), and wakes the nodes waiting for work. An
  entry already queued keeps its place (NX): queueing the same pod again is harmless, so the Job
  controller may queue every pod it finds Pending without a node.

  KEYS[1] the pod queue (ZSET member -> due ms)
  ARGV[1] the channel that wakes the nodes   ARGV[2..] entries ("ns/name")

  Returns the number of entries added.
]]
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local args = {}
for i = 2, #ARGV do
  args[#args + 1] = now
  args[#args + 1] = ARGV[i]
end
if #args == 0 then return 0 end
local added = redis.call("ZADD", KEYS[1], "NX", unpack(args))
redis.call("PUBLISH", ARGV[1], "")
return added
