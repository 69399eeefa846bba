--[[
  putLostPod: the node monitor's end of a pod whose node was lost (putLostPod), with its events.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
