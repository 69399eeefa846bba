--[[
  Deletes a Job and everything it owns, unconditionally: only the caller's preconditions (uid,
  resourceVersion) can refuse it, never a write of the controller or a worker. Its work per call
  is bounded, so a Job of 100,000 pods never blocks Redis for long:

  - the first call ("start") deletes the Job itself at once (DELETED event with its last object,
    its name leaves the namespace index and the TTL schedule) and records the deletion in the
    registry (uid -> {ns, name, at: when it last made progress}); from then on nothing new can attach to the Job, since every
    write of the controller is a compare-and-set on the Job's resourceVersion;
  - every call, the first included, deletes the batch of its pods the caller names, each with a
    DELETED event carrying the pod's last object (as the caller decoded it: stored pods are
    compressed with the Job's dictionary, which goes last), its log, log archive and index
    entries, and tells the pod's node to stop it;
  - once no pod is left, the events the caller names (read from the Job's event set), then, when
    none is left, its uncounted set, dictionary, log budget and pod index; it leaves the registry.

  A pod written since the caller read it (its resourceVersion differs) is left for the next
  call, which reads it again; one the caller marks "force" is deleted with the object given.
  Calls are idempotent: several processes may finish the same deletion. Every key it touches is
  declared: the Job's keys by the uid the caller read (a start that finds another uid answers it,
  writing nothing), each pod's and event's keys beside it.

  KEYS[1] rv counter
  KEYS[2] change stream
  KEYS[3] change stream index (ZSET rv -> offset of the entry's first byte)
  KEYS[4] change stream counters (HASH bytes, start, trimmed)
  KEYS[5] the Job's hash (touched by a start only)
  KEYS[6] the namespace's Job index       KEYS[7] the namespace's pod index
  KEYS[8] the TTL schedule                KEYS[9] the deletion registry (HASH uid -> progress)
  KEYS[10] the namespace's event index    KEYS[11] the Job's sync lease   KEYS[12] its sync-again flag
  KEYS[13] the pod queue (entries "ns/name#class")   KEYS[14] the namespace's Jobs as queue flows
  KEYS[15..19] of the Job of uid p.uid: its pod index, uncounted set, pod dictionary, event set, log budget
  KEYS[20] its pod dictionary as named by the whole uid (a Job written before dictionary ids were short)
  KEYS[21] its pods' status sample (compressed statuses need it as they need the dictionary)
  KEYS[22] the buckets of the namespace's pod index (KEYS[7] holds their bounds: includes/nameIndex.lua)
  KEYS[23] the buckets of the Job's pod index (KEYS[15] holds their bounds)
  KEYS[24..] the keys of the pods and events named (by index in KEYS, see ARGV[3])
  ARGV[1] change stream max entries
  ARGV[2] change stream max bytes
  ARGV[3] JSON: {
            ns, name, start (bool), uid                the uid KEYS[15..19] are of (start: as the caller read it)
            expectUid?, expectRv?                      preconditions (start only)
            grace?                                     seconds, passed on to the nodes
            nodeChannel                                prefix of the nodes' channels (not keys)
            pods: [{n, rv, f, k, l, z, node?, nk?, stop?, force?, q?}]
                                                       f: the pod's JSON with "__RV__" as resourceVersion;
                                                       k, l, z, nk: KEYS indexes of its hash, log, log
                                                       archive and its node's pod set; q: its queue
                                                       entry with its class (podQueueEntry)
            events: [{e, k}]                           names in the Job's event set, KEYS index of each
          }
  ARGV[4] most pods deleted by this call
  ARGV[5] most events deleted by this call

  Returns {0} when starting and the Job does not exist,
          {-1, "uid"|"rv", current} when a precondition failed (nothing written),
          {-2, uid} when starting and the Job's uid is not p.uid (nothing written: call again with it),
          {1, "done"|"more", uid, jobObj ("" unless start), stale pod names...}
]]
local p = cjson.decode(ARGV[3])
local maxPods = tonumber(ARGV[4])
local maxEvents = tonumber(ARGV[5])
local maxLen = tonumber(ARGV[1])
local maxBytes = tonumber(ARGV[2])

--- @include "appendChange"
--- @include "nameIndex"

local uid = p.uid or ""
local jobObj = ""
if p.start then
  local job = redis.call("HMGET", KEYS[5], "rv", "obj", "uid")
  if not job[1] then return {0} end
  local current = job[3] or cjson.decode(job[2]).metadata.uid
  if p.expectUid and p.expectUid ~= "" and p.expectUid ~= current then return {-1, "uid", current} end
  if p.expectRv and p.expectRv ~= "" and p.expectRv ~= job[1] then return {-1, "rv", job[1]} end
  if current ~= uid then return {-2, current} end
  local rv = redis.call("INCR", KEYS[1])
  jobObj = string.gsub(job[2], '"resourceVersion":"' .. job[1] .. '"', '"resourceVersion":"' .. rv .. '"', 1)
  redis.call("DEL", KEYS[5])
  appendChange(rv, "DELETED", {kind = "Job", ns = p.ns, name = p.name}, jobObj, "")
  redis.call("ZREM", KEYS[6], p.name)
  redis.call("ZREM", KEYS[8], p.ns .. "/" .. p.name)
  redis.call("ZREM", KEYS[14], p.name)
  redis.call("DEL", KEYS[11], KEYS[12])
end
if uid == "" then return {1, "done", "", jobObj} end
-- The registry entry says when the deletion last made progress: the janitor takes over one that stalls.
if p.start or redis.call("HEXISTS", KEYS[9], uid) == 1 then
  local t = redis.call("TIME")
  redis.call("HSET", KEYS[9], uid, cjson.encode({ns = p.ns, name = p.name, at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)}))
end

local jobPods, uncounted, dict, jobEvents, jobLog, legacyDict, statusSample = KEYS[15], KEYS[16], KEYS[17], KEYS[18], KEYS[19], KEYS[20], KEYS[21]
local nsPodNames, jobPodNames = KEYS[22], KEYS[23]
local stale = {}
local done = 0
for _, pod in ipairs(p.pods) do
  if done >= maxPods then break end
  -- Only a pod of the Job's index is deleted: leaving the index is that check (one lookup), made
  -- once the pod is known not to have changed; a changed one is left for the next call.
  local key = KEYS[pod.k]
  local current = redis.call("HGET", key, "rv")
  if current and current ~= pod.rv and not pod.force then
    if nameIndexHas(jobPods, jobPodNames, pod.n) then stale[#stale + 1] = pod.n end
  elseif nameIndexRemove(jobPods, jobPodNames, pod.n) == 1 then
    done = done + 1
    if current then
      local rv = redis.call("INCR", KEYS[1])
      local obj = string.gsub(pod.f, '"resourceVersion":"__RV__"', '"resourceVersion":"' .. rv .. '"', 1)
      redis.call("DEL", key)
      appendChange(rv, "DELETED", {kind = "Pod", ns = p.ns, name = pod.n}, obj, "")
    end
    redis.call("DEL", KEYS[pod.l], KEYS[pod.z])
    nameIndexRemove(KEYS[7], nsPodNames, pod.n)
    redis.call("SREM", uncounted, pod.n)
    redis.call("ZREM", KEYS[13], p.ns .. "/" .. pod.n, pod.q or "")
    if pod.node and pod.node ~= "" and pod.nk then
      redis.call("SREM", KEYS[pod.nk], p.ns .. "/" .. pod.n)
      if pod.stop then
        local message = p.ns .. "/" .. pod.n
        if p.grace then message = message .. " " .. p.grace end
        redis.call("PUBLISH", p.nodeChannel .. pod.node, message)
      end
    end
  end
end

if redis.call("EXISTS", jobPods) == 1 then
  local out = {1, "more", uid, jobObj}
  for _, n in ipairs(stale) do out[#out + 1] = n end
  return out
end

-- No pod left: the rest of the Job, the events the caller named first (in bounded steps).
local deletedEvents = 0
for _, ev in ipairs(p.events or {}) do
  if deletedEvents >= maxEvents then break end
  if redis.call("SREM", jobEvents, ev.e) == 1 then
    redis.call("DEL", KEYS[ev.k])
    redis.call("ZREM", KEYS[10], ev.e)
    deletedEvents = deletedEvents + 1
  end
end
if redis.call("SCARD", jobEvents) > 0 then return {1, "more", uid, jobObj} end
redis.call("DEL", jobEvents, uncounted, dict, legacyDict, statusSample, jobPods, jobPodNames, jobLog)
redis.call("HDEL", KEYS[9], uid)
return {1, "done", uid, jobObj}
