--[[
  commitCronJobSync: the CronJob controller's one commit of a sync: the Jobs it creates, the
  CronJob's status and next wake-up, its events; guarded by the resourceVersions read.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
