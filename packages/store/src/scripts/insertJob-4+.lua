--[[
  insertJob: a new Job (expect ""): its object, its name in the namespace's Job index and pod
  queue flows, the namespace recorded, its pods' compression dictionary.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
