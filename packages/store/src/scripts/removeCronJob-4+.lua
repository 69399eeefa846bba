--[[
  removeCronJob: a CronJob deleted at the resourceVersion read: its DELETED change, index entry,
  wake-up and sync request, its events; the deletion of its Jobs registered, for any process to
  finish.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
