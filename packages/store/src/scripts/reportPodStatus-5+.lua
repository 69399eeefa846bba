--[[
  Writes the status of one or several pods a worker runs (its reports that were ready together),
  and nothing else of them: a pod is stored as its compressed body, a newline, and its status (see
  PodCodec), so only what follows the newline is replaced. Each pod is guarded by the
  resourceVersion its report was based on: a report of a pod deleted, replaced, reclaimed or
  changed by anyone else meanwhile is refused (that pod only; the others are written), and the
  worker reads it again, as after a failed compare-and-set. Each written pod gets a new
  resourceVersion and one MODIFIED change carrying the whole stored object, as applyWrites' put.

  KEYS[1] rv counter             KEYS[2] change stream
  KEYS[3] change stream index    KEYS[4] change stream counters (see appendChange)
  KEYS[5] the node's pod set ("ns/name" members): a pod that ended leaves it
  KEYS[5 + i] the hash of pod i
  ARGV[1] change stream max entries   ARGV[2] change stream max bytes   ARGV[3] max bytes of one object
  ARGV[4] the call's write id (random), recorded beside each pod it writes (field w): a call replayed
      by the client after its reply was lost (a cut connection, a failover) finds a pod it wrote
      holding its id, and answers that pod's resourceVersion, as the first run did
  ARGV[5 + 6(i-1) ...] six values per pod i: expected resourceVersion, the stored status (JSON, or
      compressed with the pod's dictionary), its phase, namespace, name, "1" when the pod ended
      (it leaves the node's pod set) else "0"

  Returns one value per pod, in order: its new resourceVersion (a string) on success (or replayed), else
          -1 the resourceVersion differs (or the pod is gone): nothing written for it
          -2 the stored pod is not split (plain JSON, or written before the split): write it whole
          -3 the pod would exceed the max object bytes: write it whole (which answers 413)
]]
local maxLen = tonumber(ARGV[1])
local maxBytes = tonumber(ARGV[2])
local maxObject = tonumber(ARGV[3])

--- @include "appendChange"
--- @include "compactHash"

-- First every pod's check, then one counter increment for the pods written (their resourceVersions
-- consecutive, in order), then the writes.
local result, writes, planned = {}, {}, {}
local pods = #KEYS - 5
for i = 1, pods do
  local key = KEYS[5 + i]
  local a = 5 + (i - 1) * 6
  local expect, status = ARGV[a], ARGV[a + 1]
  local stored = redis.call("HMGET", key, "rv", "obj", "d", "w")
  local split = stored[2] and string.sub(stored[2], 1, 3) == "Z1:" and string.find(stored[2], "\n", 1, true)
  if planned[key] then
    result[i] = -1 -- a second report of a pod in one call: the first one changes what it was based on
  elseif stored[1] and stored[1] ~= expect and stored[4] == ARGV[4] then
    result[i] = stored[1]
  elseif stored[1] ~= expect then
    result[i] = -1
  elseif not split then
    result[i] = -2
  else
    local obj = string.sub(stored[2], 1, split) .. status
    if #obj > maxObject then
      result[i] = -3
    else
      planned[key] = true
      writes[#writes + 1] = {i = i, key = key, obj = obj, dict = stored[3] or "", a = a}
    end
  end
end
local rv = #writes > 0 and redis.call("INCRBY", KEYS[1], #writes) - #writes
for _, w in ipairs(writes) do
  rv = rv + 1
  local phase, ns, name, ended = ARGV[w.a + 2], ARGV[w.a + 3], ARGV[w.a + 4], ARGV[w.a + 5]
  redis.call("HSET", w.key, "rv", rv, "obj", w.obj, "p", phase, "w", ARGV[4])
  appendChange(rv, "MODIFIED", {kind = "Pod", ns = ns, name = name}, w.obj, w.dict)
  if ended == "1" then
    redis.call("SREM", KEYS[5], ns .. "/" .. name)
    compactHash(w.key)
  end
  result[w.i] = tostring(rv)
end
return result
