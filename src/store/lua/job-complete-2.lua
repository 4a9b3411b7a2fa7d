--[[
  Records a job run's tick as completed and releases its lease if still ours. The completed tick and the
  next tick due only ever move forward, so a late or out-of-order completion cannot reopen a tick.

  KEYS[1] jobrun:<name> (hash)
  KEYS[2] jobrun:<name>:lease
  ARGV[1] the tick, epoch ms
  ARGV[2] our token
  ARGV[3] replica id
  ARGV[4] completed at, epoch ms
  ARGV[5] outcome: ok | failed
  ARGV[6] run time, ms
  ARGV[7] the next tick due, epoch ms, or ''

  Returns: 1
]]
if redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('DEL', KEYS[2])
  redis.call('HDEL', KEYS[1], 'runningBy')
end
local completed = tonumber(redis.call('HGET', KEYS[1], 'completedTick'))
if not completed or tonumber(ARGV[1]) > completed then
  redis.call('HSET', KEYS[1], 'completedTick', ARGV[1], 'completedBy', ARGV[3], 'completedAt', ARGV[4],
    'outcome', ARGV[5], 'durationMs', ARGV[6])
end
if ARGV[7] ~= '' then
  local due = tonumber(redis.call('HGET', KEYS[1], 'nextDue'))
  if not due or tonumber(ARGV[7]) > due then
    redis.call('HSET', KEYS[1], 'nextDue', ARGV[7])
  end
end
return 1
