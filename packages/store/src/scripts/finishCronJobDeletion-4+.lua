--[[
  finishCronJobDeletion: a CronJob deletion whose Jobs are dealt with: the index of its Jobs and
  its registry entry.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
