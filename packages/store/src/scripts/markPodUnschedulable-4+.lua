--[[
  markPodUnschedulable: a pending pod marked unschedulable (its PodScheduled condition), with its
  event.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
