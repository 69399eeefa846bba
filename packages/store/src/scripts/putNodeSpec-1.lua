--[[
  Replaces what users set on a Node (labels, annotations, taints, unschedulable: kubectl label, taint,
  cordon) if it is still what the caller read: a compare-and-set on the record's text, so that two
  edits at once never lose one. A worker's registration goes through here too.

  KEYS[1] the node specs (HASH node name -> JSON)
  ARGV[1] the node name   ARGV[2] the record as read ("" when there was none)   ARGV[3] the new record
  ARGV[4] the node's channel   ARGV[5] the message that makes its worker read the record again at once

  Returns 1 when written, 0 when the record changed since it was read.
]]
local current = redis.call("HGET", KEYS[1], ARGV[1])
if (current or "") ~= ARGV[2] then return 0 end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[3])
redis.call("PUBLISH", ARGV[4], ARGV[5])
return 1
