--[[
  Reads everything one sync of the Job controller needs, in one round trip: the Redis clock, the
  Job (rv, obj, ctl) and its uncounted pods (name, rv, obj, d) — every unfinished one, and at most
  ARGV[3] finished ones, so that a backlog of finished pods is counted in bounded steps (as the
  Kubernetes Job controller counts at most 500 per sync) instead of making every sync slower.

  KEYS[1] the Job's hash   KEYS[2] the pod queue (its fair-queueing clock: see queueClock)
  KEYS[3] the namespace's Jobs as queue flows (ZSET Job name -> score of its last queued entry, +inf
          before its first)
  ARGV[1] prefix of pod keys in the Job's namespace ("<prefix>:pod:<ns>:")
  ARGV[2] prefix of uncounted-set keys ("<prefix>:uncounted:")
  ARGV[3] most finished pods to return
  ARGV[4] the Job's name

  Returns {seconds, microseconds} when the Job does not exist, else
          {seconds, microseconds, rv, obj, ctl, finishedLeftOut, queueClock, flows, tail, name1, rv1, obj1, d1, name2, ...}
  (queueClock: ms, the score pods queued by this sync start from; flows: how many Jobs of the
  namespace, this one included, have pods queued past it or none queued yet; tail: this Job's score
  in KEYS[3], "" when it has none)
  (a pod listed as uncounted but gone is left out).
]]
--- @include "queueClock"

local t = redis.call("TIME")
local job = redis.call("HMGET", KEYS[1], "rv", "obj", "ctl", "uid")
if not job[1] then return {t[1], t[2]} end
local clock = queueClock(KEYS[2], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local tail = redis.call("ZSCORE", KEYS[3], ARGV[4])
local flows = redis.call("ZCOUNT", KEYS[3], "(" .. score(clock), "+inf")
local tailMs = tail and (string.find(tail, "inf", 1, true) and math.huge or tonumber(tail))
if not (tailMs and tailMs > clock) then flows = flows + 1 end
local out = {t[1], t[2], job[1], job[2], job[3] or "", 0, score(clock), flows, tail or ""}
local uid = job[4] or cjson.decode(job[2]).metadata.uid
local finished, maxFinished, leftOut = 0, tonumber(ARGV[3]), 0
for _, name in ipairs(redis.call("SMEMBERS", ARGV[2] .. uid)) do
  local pod = redis.call("HMGET", ARGV[1] .. name, "rv", "obj", "d", "p")
  local done = pod[4] == "Succeeded" or pod[4] == "Failed"
  if done then finished = finished + 1 end
  if pod[1] and done and finished > maxFinished then
    leftOut = leftOut + 1
  elseif pod[1] then
    out[#out + 1] = name
    out[#out + 1] = pod[1]
    out[#out + 1] = pod[2]
    out[#out + 1] = pod[3] or ""
  end
end
out[6] = leftOut
return out
