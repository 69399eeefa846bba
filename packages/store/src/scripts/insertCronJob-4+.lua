--[[
  insertCronJob: a new CronJob (expect ""): its object, its name in the namespace's CronJob index,
  the namespace recorded, and a request to sync it at once.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
