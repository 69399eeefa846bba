--[[
  The sample of a Job's finished pod status (see PodCodec): the first one offered is kept, for
  good, while the Job's dictionary exists (a Job deleted meanwhile gets none: nothing outlives it);
  every later call answers that one, so every process compresses and reads with the same.

  KEYS[1] the Job's pod dictionary   KEYS[2] its status sample
  ARGV[1] the sample offered ("": only read)

  Returns the sample kept, or nil when there is none (the Job's dictionary is gone, or none was
  offered yet).
]]
if redis.call("EXISTS", KEYS[1]) == 0 then return false end
local kept = redis.call("GET", KEYS[2])
if kept or ARGV[1] == "" then return kept end
redis.call("SET", KEYS[2], ARGV[1])
return ARGV[1]
