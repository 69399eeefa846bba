--[[
  appendChange(rv, kind, op, obj, dict): appends one change to the change stream and trims it, by
  count and by bytes, in a fixed number of commands (every entry is trimmed at most once).
  Needs maxLen and maxBytes (locals of the including script) and KEYS[2..4]: the change stream,
  its index (ZSET rv -> offset of the entry's first byte in all bytes ever appended) and its
  counters (HASH bytes: appended in all; trimmed: highest rv trimmed).
]]
-- Bytes an entry takes in the stream, roughly: its values plus field names and entry overhead.
local ENTRY_OVERHEAD = 64

local function appendChange(rv, kind, op, obj, dict)
  redis.call("XADD", KEYS[2], rv .. "-0", "t", kind, "k", op.kind, "ns", op.ns, "n", op.name, "o", obj, "d", dict)
  local size = #obj + #op.kind + #op.ns + #op.name + #dict + ENTRY_OVERHEAD
  local total = redis.call("HINCRBY", KEYS[4], "bytes", size)
  redis.call("ZADD", KEYS[3], total - size, rv)
  -- The first entry to keep: by bytes, the oldest one starting within the last maxBytes (none:
  -- the new entry alone is larger, keep it); by count, the maxLen-th newest.
  local keep = tonumber(redis.call("ZRANGEBYSCORE", KEYS[3], total - maxBytes, "+inf", "LIMIT", 0, 1)[1] or rv)
  local count = redis.call("ZCARD", KEYS[3])
  if count > maxLen then
    local byCount = tonumber(redis.call("ZRANGE", KEYS[3], count - maxLen, count - maxLen)[1])
    if byCount > keep then keep = byCount end
  end
  local oldest = tonumber(redis.call("ZRANGE", KEYS[3], 0, 0)[1])
  if oldest < keep then
    redis.call("XTRIM", KEYS[2], "MINID", keep .. "-0")
    redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", "(" .. redis.call("ZSCORE", KEYS[3], keep))
    redis.call("HSET", KEYS[4], "trimmed", keep - 1)
  end
end
