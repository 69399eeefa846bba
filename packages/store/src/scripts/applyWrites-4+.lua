--[[
  applyWrites: any batch of operations, as tests and tools write arbitrary states with it
  (JobStore.commit without a transition's name). Every state change of a role is written by its
  named transition (insertJob-4+.lua, commitSync-4+.lua, …), each a script of its own with this
  same interpreter.
  One atomic call of the shared interpreter (includes/applyOps.lua: its KEYS, ARGV, operations and
  answers): its own script so that SLOWLOG, MONITOR and latency reports name the state change.
]]
--- @include "applyOps"
