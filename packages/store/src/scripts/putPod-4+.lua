--[[
  putPod: a pod written whole at the resourceVersion read (putPod: a user's write; a stop tells
  the pod's node).
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
