--[[
  A name index: an ordered set of names (a namespace's pods, a Job's pods) in ~25 bytes a name
  however many there are. Redis keeps a sorted set of up to 128 members as one listpack (~25 B a
  name), a larger one as a skiplist (~115 B a name: its node, dict entry and string). So a small
  index is a sorted set of its names (score 0) at `index`; once it would pass NAME_INDEX_SMALL names
  its names move into buckets of at most NAME_BUCKET_BYTES, each one string of its names in byte
  order, each name followed by "\n" (Kubernetes names never hold one), a field of the HASH
  `buckets` named by the bucket's bound; `index` then holds the bounds (score 0, in lex order). The
  HASH existing says which form an index has. A bucket's bound is at or before its names and after
  the names of the buckets before it: a name's bucket is the one of the greatest bound at or before
  it (a name added before every bound renames the first bucket). A bucket that outgrows
  NAME_BUCKET_BYTES splits in two; an emptied one goes with its bound. An index in buckets stays in
  buckets however few names are left, until its last goes (and its keys with it).
  A name is found by a plain search of its bucket (nameFind), placed by a binary search over the
  bucket's bytes (namePosition), and added or removed by cutting the string there: no step splits
  a bucket into its names.
  Names are compared byte by byte (nameCompare), as a sorted set orders them: Lua's < on strings
  follows the server's locale (strcoll), which may ignore punctuation.
  An index written before buckets (a sorted set of every name, however many) is read as a small
  one, and moves into buckets at its next name added.
]]
local NAME_BUCKET_BYTES = 1024
local NAME_INDEX_SMALL = 128

-- Whether `a` is before `b`, and how many first bytes they share, comparing from byte `from` on
-- (the ones before are the same in both): 8 bytes at a time while they agree (two short strings
-- compared are cheaper in Lua than eight byte reads each), then byte by byte.
local function nameCompare(a, b, from)
  local n = math.min(#a, #b)
  local i = from
  while i + 7 <= n and string.sub(a, i, i + 7) == string.sub(b, i, i + 7) do i = i + 8 end
  while i <= n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y, i - 1 end
    i = i + 1
  end
  return #a < #b, n
end

-- The offset of `name` in the bucket `packed` (each name starts at 1 or after a "\n", and ends with
-- one), or nil: a plain search, no comparison in Lua.
local function nameFind(packed, name)
  local from = 1
  while true do
    local at = string.find(packed, name .. "\n", from, true)
    if not at or at == 1 or string.byte(packed, at - 1) == 10 then return at end
    from = at + 1
  end
end

-- Where `name` is or would go in the bucket `packed`: the offset of the first name not before it,
-- and whether that one is `name`: a binary search over the bucket's bytes.
local function namePosition(packed, name)
  -- The names between two already compared share the bytes that both of those share with `name`.
  local lo, hi = 1, #packed + 1 -- the names starting before lo are before `name`; those from hi on are after it
  local sharedLo, sharedHi = 0, 0
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local start = mid == lo and lo or (string.find(packed, "\n", mid - 1, true) + 1)
    if start >= hi then start = lo end
    local stop = string.find(packed, "\n", start, true)
    local found = string.sub(packed, start, stop - 1)
    if found == name then return start, true end
    local before, shared = nameCompare(found, name, math.min(sharedLo, sharedHi) + 1)
    if before then lo, sharedLo = stop + 1, shared else hi, sharedHi = start, shared end
  end
  return lo, false
end

-- Moves a small index's names (members of `bounds`) into half-full buckets.
local function nameIndexToBuckets(bounds, buckets)
  local names = redis.call("ZRANGE", bounds, 0, -1)
  redis.call("DEL", bounds)
  local i = 1
  while i <= #names do
    local first, chunk, bytes = names[i], {}, 0
    while i <= #names and bytes < NAME_BUCKET_BYTES / 2 do
      chunk[#chunk + 1] = names[i]
      bytes = bytes + #names[i] + 1
      i = i + 1
    end
    redis.call("HSET", buckets, first, table.concat(chunk, "\n") .. "\n")
    redis.call("ZADD", bounds, 0, first)
  end
end

-- Whether the index is in its small form, a sorted set of its names (or empty).
local function nameIndexSmall(buckets)
  return redis.call("EXISTS", buckets) == 0
end

-- The bound of the bucket that holds `name` (or would) and the bucket, of an index in buckets; nil
-- when `name` is before every name.
local function nameBucket(bounds, buckets, name)
  local bound = redis.call("ZREVRANGEBYLEX", bounds, "[" .. name, "-", "LIMIT", 0, 1)[1]
  if not bound then return nil end
  local packed = redis.call("HGET", buckets, bound)
  if not packed then error("name index " .. bounds .. ": the bound " .. bound .. " has no bucket") end
  return bound, packed
end

-- Adds `name`; 1 when it was not there.
local function nameIndexAdd(bounds, buckets, name)
  if nameIndexSmall(buckets) then
    if redis.call("ZCARD", bounds) < NAME_INDEX_SMALL then return redis.call("ZADD", bounds, 0, name) end
    if redis.call("ZSCORE", bounds, name) then return 0 end
    nameIndexToBuckets(bounds, buckets)
  end
  local bound, packed = nameBucket(bounds, buckets, name)
  if not bound then
    -- Before every name: the first bucket (an index in buckets has one) takes it, and is named by it
    -- (a bound is at or before its names).
    local first = redis.call("ZRANGE", bounds, 0, 0)[1]
    packed = redis.call("HGET", buckets, first)
    redis.call("HDEL", buckets, first)
    redis.call("ZREM", bounds, first)
    bound = name
    redis.call("ZADD", bounds, 0, name)
  end
  local at, found = namePosition(packed, name)
  if found then return 0 end
  packed = string.sub(packed, 1, at - 1) .. name .. "\n" .. string.sub(packed, at)
  -- Past the bound, split after the name that ends nearest after the middle.
  local cut = #packed > NAME_BUCKET_BYTES and string.find(packed, "\n", math.floor(#packed / 2), true)
  local right = cut and string.sub(packed, cut + 1) or ""
  if right == "" then
    redis.call("HSET", buckets, bound, packed)
    return 1
  end
  local rightBound = string.sub(right, 1, string.find(right, "\n", 1, true) - 1)
  redis.call("HSET", buckets, bound, string.sub(packed, 1, cut), rightBound, right)
  redis.call("ZADD", bounds, 0, rightBound)
  return 1
end

-- Removes `name`; 1 when it was there.
local function nameIndexRemove(bounds, buckets, name)
  if nameIndexSmall(buckets) then return redis.call("ZREM", bounds, name) end
  local bound, packed = nameBucket(bounds, buckets, name)
  if not bound then return 0 end
  local at = nameFind(packed, name)
  if not at then return 0 end
  packed = string.sub(packed, 1, at - 1) .. string.sub(packed, at + #name + 1)
  if packed ~= "" then
    redis.call("HSET", buckets, bound, packed)
  else
    redis.call("HDEL", buckets, bound)
    redis.call("ZREM", bounds, bound)
  end
  return 1
end

local function nameIndexHas(bounds, buckets, name)
  if nameIndexSmall(buckets) then return redis.call("ZSCORE", bounds, name) ~= false end
  local bound, packed = nameBucket(bounds, buckets, name)
  if not bound then return false end
  return nameFind(packed, name) ~= nil
end

-- At most `limit` names after `after` ("": from the first), in order.
local function nameIndexPage(bounds, buckets, after, limit)
  local out = {}
  if limit <= 0 then return out end
  if nameIndexSmall(buckets) then
    return redis.call("ZRANGEBYLEX", bounds, after == "" and "-" or "(" .. after, "+", "LIMIT", 0, limit)
  end
  -- From the bucket that holds `after` (or would), cut after it; the buckets that follow hold only
  -- later names. No bucket at or before `after`: every name is later.
  local bound = after ~= "" and nameBucket(bounds, buckets, after)
  local start = bound and "[" .. bound or "-"
  while true do
    local found = redis.call("ZRANGEBYLEX", bounds, start, "+", "LIMIT", 0, 16)
    if #found == 0 then return out end
    local packs = redis.call("HMGET", buckets, unpack(found))
    if bound then
      local at, present = namePosition(packs[1], after)
      packs[1] = string.sub(packs[1], present and at + #after + 1 or at)
      bound = nil
    end
    for _, packed in ipairs(packs) do
      for name in string.gmatch(packed, "[^\n]+") do
        out[#out + 1] = name
        if #out >= limit then return out end
      end
    end
    if #found < 16 then return out end
    start = "(" .. found[#found]
  end
end
