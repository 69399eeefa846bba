--[[
  appendChange(rv, kind, op, obj, dict): appends one change to the change stream, keeping it within
  maxLen entries and maxBytes bytes at every instant. An append costs XADD, HINCRBY and ZADD, plus
  one HMGET per script call; only when a bound is crossed is the stream trimmed, in one go, down to
  15/16 of both bounds (so trimming runs about once per maxLen/16 appends, and every entry is
  trimmed at most once).
  Needs maxLen and maxBytes (locals of the including script) and KEYS[2..4]: the change stream,
  its index (ZSET rv -> offset of the entry's first byte in all bytes ever appended) and its
  counters (HASH bytes: appended in all; start: offset of the first entry kept; trimmed: highest
  rv trimmed). The stream keeps the entries from offset `start` on, so it holds bytes - start bytes,
  and at most rv - trimmed entries (resourceVersions are unique and increasing): both bounds are
  checked by arithmetic, without reading the stream.
]]
-- Bytes an entry takes in the stream, roughly: its values plus field names and entry overhead.
local ENTRY_OVERHEAD = 64
-- What a trim leaves: 15/16 of each bound, so the next trim is maxLen/16 entries (or maxBytes/16 bytes) away.
local lowLen = math.floor(maxLen * 15 / 16)
local lowBytes = math.floor(maxBytes * 15 / 16)
-- Read once per script call (the script runs atomically: nothing else changes them meanwhile).
local changeStart, changeTrimmed, changeCount

local function appendChange(rv, kind, op, obj, dict)
  redis.call("XADD", KEYS[2], rv .. "-0", "t", kind, "k", op.kind, "ns", op.ns, "n", op.name, "o", obj, "d", dict)
  local size = #obj + #op.kind + #op.ns + #op.name + #dict + ENTRY_OVERHEAD
  local total = redis.call("HINCRBY", KEYS[4], "bytes", size)
  local offset = total - size
  redis.call("ZADD", KEYS[3], offset, rv)
  if changeCount then changeCount = changeCount + 1 end
  if not changeStart then
    local info = redis.call("HMGET", KEYS[4], "start", "trimmed")
    changeTrimmed = tonumber(info[2]) or 0
    changeStart = tonumber(info[1])
    if not changeStart then
      -- A new store (or one written before `start` was kept): the oldest entry's offset, this one's if none.
      local oldest = redis.call("ZRANGE", KEYS[3], 0, 0, "WITHSCORES")
      changeStart = tonumber(oldest[2]) or offset
      redis.call("HSET", KEYS[4], "start", changeStart)
    end
  end
  local overBytes = total - changeStart > maxBytes
  -- At most rv - trimmed entries are kept: the exact count is needed only when that is past lowLen.
  local span = rv - changeTrimmed
  if not overBytes and span <= maxLen then return end
  if span > lowLen then
    changeCount = changeCount or redis.call("ZCARD", KEYS[3])
    if not overBytes and changeCount <= maxLen then return end
  end
  -- Trim to the low-water marks: keep the newest lowLen entries at most, starting within the last
  -- lowBytes bytes (none does when this entry alone is larger: keep it alone).
  local keep, keepOffset = rv, offset
  local byBytes = redis.call("ZRANGEBYSCORE", KEYS[3], total - lowBytes, "+inf", "WITHSCORES", "LIMIT", 0, 1)
  if byBytes[1] then keep, keepOffset = tonumber(byBytes[1]), tonumber(byBytes[2]) end
  if changeCount and changeCount > lowLen then
    local byCount = redis.call("ZRANGE", KEYS[3], changeCount - lowLen, changeCount - lowLen, "WITHSCORES")
    if tonumber(byCount[1]) > keep then keep, keepOffset = tonumber(byCount[1]), tonumber(byCount[2]) end
  end
  if keepOffset <= changeStart then return end
  redis.call("XTRIM", KEYS[2], "MINID", keep .. "-0")
  -- %d: Lua's `..` would write a number past 1e14 in exponent notation, rounded.
  local removed = redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", string.format("(%d", keepOffset))
  if changeCount then changeCount = changeCount - removed end
  changeStart, changeTrimmed = keepOffset, keep - 1
  redis.call("HSET", KEYS[4], "start", keepOffset, "trimmed", changeTrimmed)
end
