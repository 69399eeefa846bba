--[[
  putCronJob: a CronJob read at a resourceVersion written again; a user's write also asks the
  controller to sync it at once.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
