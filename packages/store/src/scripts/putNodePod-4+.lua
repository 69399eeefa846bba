--[[
  putNodePod: a worker's write of a whole pod of its node (JobStore.putNodePod), with its events;
  an ended pod leaves the node's pod set.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
