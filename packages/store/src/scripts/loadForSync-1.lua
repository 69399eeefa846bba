--[[
  Reads everything one sync of the Job controller needs, in one round trip: the Redis clock, the
  Job (rv, obj, ctl) and each of its uncounted pods (name, rv, obj, d).

  KEYS[1] the Job's hash
  ARGV[1] prefix of pod keys in the Job's namespace ("<prefix>:pod:<ns>:")
  ARGV[2] prefix of uncounted-set keys ("<prefix>:uncounted:")

  Returns {seconds, microseconds} when the Job does not exist, else
          {seconds, microseconds, rv, obj, ctl, name1, rv1, obj1, d1, name2, ...}
  (a pod listed as uncounted but gone is left out).
]]
local t = redis.call("TIME")
local job = redis.call("HMGET", KEYS[1], "rv", "obj", "ctl", "uid")
if not job[1] then return {t[1], t[2]} end
local out = {t[1], t[2], job[1], job[2], job[3] or ""}
local uid = job[4] or cjson.decode(job[2]).metadata.uid
for _, name in ipairs(redis.call("SMEMBERS", ARGV[2] .. uid)) do
  local pod = redis.call("HMGET", ARGV[1] .. name, "rv", "obj", "d")
  if pod[1] then
    out[#out + 1] = name
    out[#out + 1] = pod[1]
    out[#out + 1] = pod[2]
    out[#out + 1] = pod[3] or ""
  end
end
return out
