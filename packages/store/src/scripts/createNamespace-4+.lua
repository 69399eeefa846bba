--[[
  createNamespace: a new namespace in the set of namespaces (its record is written first, by
  HSETNX).
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
