--[[
  removePod: a counted pod that ended after its deletion removed: its DELETED change, log, archive
  and index entries.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
