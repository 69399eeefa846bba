--[[
  A worker takes a Pending pod for its node, while it holds the node's name: the pod as claimed (spec.nodeName, PodScheduled) is
  written if it still has the resourceVersion the worker read (a pod deleted, replaced or taken by
  another node meanwhile is refused), it joins the node's pod set, and the scheduler's event
  (Scheduled) is recorded with it, so that the event never outlives a claim that did not happen.

  KEYS[1] rv counter             KEYS[2] change stream
  KEYS[3] change stream index    KEYS[4] change stream counters (see appendChange)
  KEYS[5] the pod's hash         KEYS[6] the node's pod set ("ns/name" members)
  KEYS[7] the event's hash       KEYS[8] the namespace's event index (ZSET)
  KEYS[9] the Job's event names (SET, deleted with the Job)
  KEYS[10] the node's name lease (its holder's token): a worker that lost its name takes no pod
  KEYS[11] the pod queue's taken entries (ZSET entry -> lease end ms): the claim is the entry's
           acknowledgement, so the pod's entry (ARGV[15]) leaves it in the same step
  ARGV[1] change stream max entries   ARGV[2] change stream max bytes   ARGV[3] max bytes of one object
  ARGV[4] the pod's expected resourceVersion
  ARGV[5] the claimed pod as stored (see PodCodec)   ARGV[6] its dictionary id   ARGV[7] its phase
  ARGV[8] namespace   ARGV[9] pod name
  ARGV[10] the event's JSON with "__RV__" where its resourceVersion goes ("": no event, past the rate)
  ARGV[11] the event's name
  ARGV[12] the claiming worker's lease token
  ARGV[13] "1" when the event repeats one recorded before (the correlator's count: it is rewritten,
           its indexes exist), else "0"
  ARGV[14] the call's write id (random), recorded beside the pod (field w; not the event): a call
           replayed by the client after its reply was lost (a cut connection, a failover) finds the
           pod holding its id, and answers as the first run did instead of "the pod changed"
  ARGV[15] the pod's queue entry as taken ("ns/name#class", see podQueueEntry)

  Returns {1, podRv} when claimed (or replayed: the rv of the claim), {-1, currentRv} when the pod changed or went (nothing written),
          {-2, size} when the pod is over the max object bytes, {-3} when another worker holds the
          node's name (nothing written in either case).
]]
local maxLen = tonumber(ARGV[1])
local maxBytes = tonumber(ARGV[2])
local maxObject = tonumber(ARGV[3])
local ns, name = ARGV[8], ARGV[9]

local holder = redis.call("GET", KEYS[10])
if holder and holder ~= ARGV[12] then return {-3} end
local stored = redis.call("HMGET", KEYS[5], "rv", "w")
local current = stored[1]
if current ~= ARGV[4] then
  if current and stored[2] == ARGV[14] then return {1, current} end
  return {-1, current or ""}
end
if #ARGV[5] > maxObject then return {-2, #ARGV[5]} end

--- @include "appendChange"

local rv = redis.call("INCR", KEYS[1])
local fields = {"rv", rv, "obj", ARGV[5], "p", ARGV[7], "w", ARGV[14]}
if ARGV[6] ~= "" then fields[#fields + 1] = "d"; fields[#fields + 1] = ARGV[6] end
redis.call("HSET", KEYS[5], unpack(fields))
appendChange(rv, "MODIFIED", {kind = "Pod", ns = ns, name = name}, ARGV[5], ARGV[6])
redis.call("SADD", KEYS[6], ns .. "/" .. name)
redis.call("ZREM", KEYS[11], ARGV[15])

-- A new event whose name is taken already (never: names are unique per time and sequence) records nothing.
local existed = ARGV[10] ~= "" and redis.call("EXISTS", KEYS[7]) == 1
if ARGV[10] ~= "" and (ARGV[13] == "1" or not existed) then
  local eventRv = redis.call("INCR", KEYS[1])
  local event = string.gsub(ARGV[10], '"__RV__"', '"' .. eventRv .. '"', 1)
  redis.call("HSET", KEYS[7], "rv", eventRv, "obj", event)
  appendChange(eventRv, existed and "MODIFIED" or "ADDED", {kind = "Event", ns = ns, name = ARGV[11]}, event, "")
  if ARGV[13] ~= "1" then
    redis.call("ZADD", KEYS[8], 0, ARGV[11])
    redis.call("SADD", KEYS[9], ARGV[11])
  end
end
return {1, tostring(rv)}
