--[[
  Queues pods for the worker nodes, due now (at the queue's fair-queueing clock: see queueClock;
  ARGV[2] ms apart, the first one half of that after it, as enqueueOps), and wakes the nodes waiting for work.
  An entry already queued keeps its place (NX): queueing the same pod again is harmless, so the Job
  controller may queue every pod it finds Pending without a node.

  KEYS[1] the pod queue (ZSET member -> due ms)
  ARGV[1] the channel that wakes the nodes   ARGV[2] the spacing, ms (QUEUE_SPACING_MS)
  ARGV[3..] entries ("ns/name#class")

  Returns the number of entries added.
]]
--- @include "queueClock"

local t = redis.call("TIME")
local clock = queueClock(KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local spacing = tonumber(ARGV[2])
local args = {}
for i = 3, #ARGV do
  args[#args + 1] = score(clock + spacing / 2 + (i - 3) * spacing)
  args[#args + 1] = ARGV[i]
end
if #args == 0 then return 0 end
local added = redis.call("ZADD", KEYS[1], "NX", unpack(args))
redis.call("PUBLISH", ARGV[1], "")
return added
