--[[
  forgetNamespace: a namespace whose Jobs and pods are gone forgotten: its index entry and its
  record.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
