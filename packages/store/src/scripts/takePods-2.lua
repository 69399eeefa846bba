--[[
  A worker node takes up to ARGV[1] pods that are due from the fleet's pod queue. An entry is
  "ns/name#class" (the class: a hash of the pod's placement constraints, see placementClass in
  queues.ts; "ns/name" alone for a pod queued without one). The pod record is the truth: the node's claim of the pod is the fence, an entry taken
  twice or naming a pod that is gone costs one read), scored with when it is due (ms, Redis clock:
  a fair-queue time at or before now for an entry ready to run, a later time for one handed back
  for later). Lowest first. A taken entry moves to the taken set with a lease of ARGV[2] ms, in the
  same step, so that no two nodes take it; the node's claim of the pod (claimPod-11.lua), or its
  acknowledgement, removes it there. An entry whose lease ended (its node died or hung between
  taking and claiming) is queued again first, at the queue's clock (its head: see queueClock):
  nothing taken is lost.

  KEYS[1] the pod queue (ZSET member -> due ms)
  KEYS[2] the taken entries (ZSET member -> lease end ms)
  ARGV[1] how many entries at most   ARGV[2] the lease, ms
  ARGV[3..] placement classes the node can never take as it is (nodeSelector, affinity, taints,
            cordon, too big): their entries are left for the others, unread. Past them, at most
            SCAN_MAX due entries are looked at.

  Returns {nextDueInMs or -1, member1, score1, member2, score2, ...}: the entries taken, lowest
          first, with their scores (a node that hands one back at once gives it back its place), and
          when nothing was due, how long until the next entry is (-1: the queue is empty, or every
          entry due is one the node leaves to the others).
]]
--- @include "queueClock"

local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max = tonumber(ARGV[1])
local clock = queueClock(KEYS[1], now)

local expired = redis.call("ZRANGE", KEYS[2], "-inf", now, "BYSCORE", "LIMIT", 0, 100)
if #expired > 0 then
  for _, member in ipairs(expired) do redis.call("ZADD", KEYS[1], "NX", score(clock), member) end
  redis.call("ZREM", KEYS[2], unpack(expired))
end

local SCAN_MAX = 1000
local skip, skipping = {}, false
for i = 3, #ARGV do
  skip[ARGV[i]] = true
  skipping = true
end
-- Without classes to skip, one range of max entries; with them, ranges until max are found.
local chunk = skipping and math.max(2 * max, 100) or max
-- Due: scored before the clock's next millisecond. Entries queued together are scored from the
-- clock 2 microseconds apart, so those queued within the current millisecond are due too (compared
-- with `now` itself, all but the first would wait for the next millisecond, and another take).
local dueBefore = "(" .. (now + 1)
local due, scannedAny, offset = {}, false, 0
repeat
  local scanned = redis.call("ZRANGE", KEYS[1], "-inf", dueBefore, "BYSCORE", "LIMIT", offset, chunk, "WITHSCORES")
  for i = 1, #scanned, 2 do
    scannedAny = true
    local class = skipping and string.match(scanned[i], "#([^#]+)$")
    if not (class and skip[class]) and #due < 2 * max then
      due[#due + 1] = scanned[i]
      due[#due + 1] = scanned[i + 1]
    end
  end
  offset = offset + chunk
until #due >= 2 * max or #scanned < 2 * chunk or offset >= SCAN_MAX
if #due == 0 then
  -- Entries due, all left to the others: nothing for this node until something changes (a wake-up, the poll).
  if scannedAny then return {-1} end
  local first = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
  if first[2] then return {math.max(1, math.ceil(tonumber(first[2]) - now))} end
  return {-1}
end
local leases, members = {}, {}
local leaseEnd = now + tonumber(ARGV[2])
for i = 1, #due, 2 do
  members[#members + 1] = due[i]
  leases[#leases + 1] = leaseEnd
  leases[#leases + 1] = due[i]
end
redis.call("ZREM", KEYS[1], unpack(members))
redis.call("ZADD", KEYS[2], unpack(leases))
local reply = {0}
for i = 1, #due do reply[#reply + 1] = due[i] end
return reply
