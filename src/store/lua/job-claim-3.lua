--[[
  Claims one scheduled tick of a job (src/store/job-runs.ts, decideClaim is the same rule for SQLite).
  Claims are never released, only superseded by a later tick: a replica whose clock is behind, firing after
  the tick's run finished, finds it done and runs nothing. The lease (a key with a TTL, on Redis's clock)
  only says a run is in progress.

  KEYS[1] jobrun:<name> (hash)
  KEYS[2] jobrun:<name>:lease (the running run's token, PX)
  KEYS[3] jobruns (set of names)
  ARGV[1] the tick, epoch ms
  ARGV[2] a new token
  ARGV[3] lease ms
  ARGV[4] replica id
  ARGV[5] '1' for a catch-up run, which may retake a tick whose run never completed once its lease lapsed
  ARGV[6] the job's name

  Returns: {'ok'} or {reason, by} with reason done | superseded | running | claimed
]]
local tick = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'completedTick', 'completedBy', 'claimedTick', 'claimedBy', 'runningBy')
local completed = tonumber(h[1])
if completed and completed >= tick then
  return { 'done', h[2] or '' }
end
local claimed = tonumber(h[3])
if claimed and claimed > tick then
  return { 'superseded', h[4] or '' }
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return { 'running', h[5] or '' }
end
if claimed and claimed == tick and ARGV[5] ~= '1' then
  return { 'claimed', h[4] or '' }
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('HSET', KEYS[1], 'claimedTick', ARGV[1], 'claimedBy', ARGV[4], 'runningBy', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[6])
return { 'ok' }
