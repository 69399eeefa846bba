--[[
  Deletes a Job and everything it owns, unconditionally: only the caller's preconditions (uid,
  resourceVersion) can refuse it, never a write of the controller or a worker. Its work per call
  is bounded, so a Job of 100,000 pods never blocks Redis for long:

  - the first call ("start") deletes the Job itself at once (DELETED event with its last object,
    its name leaves the namespace index and the TTL schedule) and records the deletion in the
    registry (uid -> {ns, name, at: when it last made progress}); from then on nothing new can attach to the Job, since every
    write of the controller is a compare-and-set on the Job's resourceVersion;
  - every call, the first included, deletes up to one batch of its pods, each with a DELETED
    event carrying the pod's last object (as the caller decoded it: stored pods are compressed
    with the Job's dictionary, which goes last), its log, log archive and index entries, and
    tells the pod's node to stop it;
  - the call that finds no pod left deletes its events (up to ARGV[5] per call), its uncounted
    set, dictionary, log budget and pod index, and removes it from the registry.

  A pod written since the caller read it (its resourceVersion differs) is left for the next
  call, which reads it again; one the caller marks "force" is deleted with the object given.
  Calls are idempotent: several processes may finish the same deletion.

  KEYS[1] rv counter
  KEYS[2] change stream
  KEYS[3] change stream index (ZSET rv -> offset of the entry's first byte)
  KEYS[4] change stream counters (HASH bytes, start, trimmed)
  KEYS[5] the Job's hash (start) or "" (continue)
  ARGV[1] change stream max entries
  ARGV[2] change stream max bytes
  ARGV[3] JSON: {
            ns, name, start (bool),
            expectUid?, expectRv?                    preconditions (start only)
            uid?                                     the Job's uid (continue only)
            grace?                                   seconds, passed on to the nodes
            keys: {jobs, pods, ttl, registry, events, lease, again, podq, flows}   keys of the namespace / fleet
                                                     (podq: the pod queue, entries "ns/name#class";
                                                     flows: the namespace's Jobs as queue flows)
            prefixes: {pod, log, logz, event, jobPods, uncounted, dict, jobEvents, jobLog, nodePods, nodeChannel}
            pods: [{n, rv, f, node?, stop?, force?, q?}]  f: the pod's JSON with "__RV__" as resourceVersion;
                                                     q: its queue entry with its class (podQueueEntry)
          }
  ARGV[4] most pods deleted by this call
  ARGV[5] most events deleted by this call

  Returns {0} when starting and the Job does not exist,
          {-1, "uid"|"rv", current} when a precondition failed (nothing written),
          {1, "done"|"more", uid, jobObj ("" unless start), stale pod names...}
]]
local p = cjson.decode(ARGV[3])
local maxPods = tonumber(ARGV[4])
local maxEvents = tonumber(ARGV[5])
local maxLen = tonumber(ARGV[1])
local maxBytes = tonumber(ARGV[2])
local K, P = p.keys, p.prefixes

--- @include "appendChange"

local uid = p.uid or ""
local jobObj = ""
if p.start then
  local job = redis.call("HMGET", KEYS[5], "rv", "obj", "uid")
  if not job[1] then return {0} end
  uid = job[3] or cjson.decode(job[2]).metadata.uid
  if p.expectUid and p.expectUid ~= "" and p.expectUid ~= uid then return {-1, "uid", uid} end
  if p.expectRv and p.expectRv ~= "" and p.expectRv ~= job[1] then return {-1, "rv", job[1]} end
  local rv = redis.call("INCR", KEYS[1])
  jobObj = string.gsub(job[2], '"resourceVersion":"' .. job[1] .. '"', '"resourceVersion":"' .. rv .. '"', 1)
  redis.call("DEL", KEYS[5])
  appendChange(rv, "DELETED", {kind = "Job", ns = p.ns, name = p.name}, jobObj, "")
  redis.call("ZREM", K.jobs, p.name)
  redis.call("ZREM", K.ttl, p.ns .. "/" .. p.name)
  redis.call("ZREM", K.flows, p.name)
  redis.call("DEL", K.lease, K.again)
end
if uid == "" then return {1, "done", "", jobObj} end
-- The registry entry says when the deletion last made progress: the janitor takes over one that stalls.
if p.start or redis.call("HEXISTS", K.registry, uid) == 1 then
  local t = redis.call("TIME")
  redis.call("HSET", K.registry, uid, cjson.encode({ns = p.ns, name = p.name, at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)}))
end

local jobPods = P.jobPods .. uid
local uncounted = P.uncounted .. uid
local stale = {}
local done = 0
for _, pod in ipairs(p.pods) do
  if done >= maxPods then break end
  if redis.call("ZSCORE", jobPods, pod.n) then
    local key = P.pod .. pod.n
    local current = redis.call("HGET", key, "rv")
    if current and current ~= pod.rv and not pod.force then
      stale[#stale + 1] = pod.n
    else
      done = done + 1
      if current then
        local rv = redis.call("INCR", KEYS[1])
        local obj = string.gsub(pod.f, '"resourceVersion":"__RV__"', '"resourceVersion":"' .. rv .. '"', 1)
        redis.call("DEL", key)
        appendChange(rv, "DELETED", {kind = "Pod", ns = p.ns, name = pod.n}, obj, "")
      end
      redis.call("DEL", P.log .. pod.n, P.logz .. pod.n)
      redis.call("ZREM", K.pods, pod.n)
      redis.call("ZREM", jobPods, pod.n)
      redis.call("SREM", uncounted, pod.n)
      redis.call("ZREM", K.podq, p.ns .. "/" .. pod.n, pod.q or "")
      if pod.node and pod.node ~= "" then
        redis.call("SREM", P.nodePods .. pod.node, p.ns .. "/" .. pod.n)
        if pod.stop then
          local message = p.ns .. "/" .. pod.n
          if p.grace then message = message .. " " .. p.grace end
          redis.call("PUBLISH", P.nodeChannel .. pod.node, message)
        end
      end
    end
  end
end

if redis.call("ZCARD", jobPods) > 0 then
  local out = {1, "more", uid, jobObj}
  for _, n in ipairs(stale) do out[#out + 1] = n end
  return out
end

-- No pod left: the rest of the Job, events in bounded steps.
local jobEvents = P.jobEvents .. uid
local names = redis.call("SRANDMEMBER", jobEvents, maxEvents)
for _, e in ipairs(names) do
  redis.call("DEL", P.event .. e)
  redis.call("ZREM", K.events, e)
  redis.call("SREM", jobEvents, e)
end
if redis.call("SCARD", jobEvents) > 0 then return {1, "more", uid, jobObj} end
redis.call("DEL", jobEvents, uncounted, P.dict .. uid, jobPods, P.jobLog .. uid)
redis.call("HDEL", K.registry, uid)
return {1, "done", uid, jobObj}
