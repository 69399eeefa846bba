--[[
  commitSync: the Job controller's one commit of a sync (commitSync): pods created (with their
  index entries and queue entries) or written again, counted and removed; the Job with its status;
  its events (aggregated); its TTL schedule; its CronJob poked. Guarded by the resourceVersions
  the sync read.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
