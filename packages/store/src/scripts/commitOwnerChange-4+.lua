--[[
  commitOwnerChange: the Job controller's adoption or release of a pod (commitOwnerChange),
  guarded by the pod's resourceVersion and the adopting Job.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
