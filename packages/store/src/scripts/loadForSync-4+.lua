--[[
  Reads everything one sync of the Job controller needs, in one round trip: the Redis clock, the
  Job (rv, obj, ctl) and its uncounted pods (name, rv, obj, d) — every unfinished one, and at most
  ARGV[1] finished ones, so that a backlog of finished pods is counted in bounded steps (as the
  Kubernetes Job controller counts at most 500 per sync) instead of making every sync slower.

  Every key it reads is declared: the caller names the Job's uid and the pods it believes are in the
  Job's uncounted set (what the last sync read and wrote: JobStore's sync hints). When the uid
  differs, or the set holds a pod not named, nothing is read but that: the caller asks again with it
  (a Job's first sync in a process, or one whose pods another process created since).

  KEYS[1] the Job's hash   KEYS[2] the pod queue (its fair-queueing clock: see queueClock)
  KEYS[3] the namespace's Jobs as queue flows (ZSET Job name -> score of its last queued entry, +inf
          before its first)
  KEYS[4] the uncounted set of the Job of uid ARGV[3] (SET of pod names)
  KEYS[4 + i] the hash of pod i, named ARGV[3 + i]
  ARGV[1] most finished pods to return   ARGV[2] the Job's name   ARGV[3] the Job's uid as the caller believes
  ARGV[3 + i] the name of pod i

  Returns {seconds, microseconds} when the Job does not exist;
          {seconds, microseconds, "!", uid, member1, member2, ...} when ARGV[3] is not the Job's uid
          (no members then), or its uncounted set holds a pod not named (all its members): ask again;
          else {seconds, microseconds, rv, obj, ctl, finishedLeftOut, queueClock, flows, tail, unread,
          unreadName1, ..., name1, rv1, obj1, d1, name2, ...}
  (queueClock: ms, the score pods queued by this sync start from; flows: how many Jobs of the
  namespace, this one included, have pods queued past it or none queued yet; tail: this Job's score
  in KEYS[3], "" when it has none; unread: how many members follow, not read: finished ones left out,
  and ones whose pod is gone).
]]
--- @include "queueClock"

local t = redis.call("TIME")
local job = redis.call("HMGET", KEYS[1], "rv", "obj", "ctl", "uid")
if not job[1] then return {t[1], t[2]} end
local uid = job[4] or cjson.decode(job[2]).metadata.uid
if uid ~= ARGV[3] then return {t[1], t[2], "!", uid} end
local declared = {}
for i = 4, #ARGV do declared[ARGV[i]] = KEYS[i + 1] end
local members = redis.call("SMEMBERS", KEYS[4])
for _, name in ipairs(members) do
  if not declared[name] then
    local again = {t[1], t[2], "!", uid}
    for _, m in ipairs(members) do again[#again + 1] = m end
    return again
  end
end

local clock = queueClock(KEYS[2], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local tail = redis.call("ZSCORE", KEYS[3], ARGV[2])
local flows = redis.call("ZCOUNT", KEYS[3], "(" .. score(clock), "+inf")
local tailMs = tail and (string.find(tail, "inf", 1, true) and math.huge or tonumber(tail))
if not (tailMs and tailMs > clock) then flows = flows + 1 end
local finished, maxFinished, leftOut = 0, tonumber(ARGV[1]), 0
local read, unread = {}, {}
for _, name in ipairs(members) do
  local pod = redis.call("HMGET", declared[name], "rv", "obj", "d", "p")
  -- "S"/"F" (storedPhase), or as hashes written before held them.
  local done = pod[4] == "S" or pod[4] == "F" or pod[4] == "Succeeded" or pod[4] == "Failed"
  if done then finished = finished + 1 end
  if pod[1] and done and finished > maxFinished then
    leftOut = leftOut + 1
    unread[#unread + 1] = name
  elseif pod[1] then
    read[#read + 1] = name
    read[#read + 1] = pod[1]
    read[#read + 1] = pod[2]
    read[#read + 1] = pod[3] or ""
  else
    unread[#unread + 1] = name
  end
end
local out = {t[1], t[2], job[1], job[2], job[3] or "", leftOut, score(clock), flows, tail or "", #unread}
for _, name in ipairs(unread) do out[#out + 1] = name end
for _, v in ipairs(read) do out[#out + 1] = v end
return out
