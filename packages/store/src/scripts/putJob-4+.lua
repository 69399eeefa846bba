--[[
  putJob: a Job read at a resourceVersion written again (putJob: a user's update or patch, the
  controller's status), and its TTL schedule.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
