--[[
  pokeCronJobOf: the CronJob controlling a Job asked to sync at once (the Job finished or went).
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
