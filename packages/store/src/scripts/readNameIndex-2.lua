--[[
  Reads a name index (see includes/nameIndex.lua): a page of its names, or whether names are in it.
  An index written before buckets is converted first (the only write).

  KEYS[1] the index's bounds (ZSET)   KEYS[2] its buckets (HASH)
  ARGV[1] "page": ARGV[2] the name to start after ("": from the first), ARGV[3] most names
          "has":  ARGV[2..] the names to look up

  Returns page: the names, in byte order; has: 1 or 0 for each name, in order.
]]
--- @include "nameIndex"

if ARGV[1] == "page" then
  return nameIndexPage(KEYS[1], KEYS[2], ARGV[2], tonumber(ARGV[3]))
end
local out = {}
for i = 2, #ARGV do out[#out + 1] = nameIndexHas(KEYS[1], KEYS[2], ARGV[i]) and 1 or 0 end
return out
