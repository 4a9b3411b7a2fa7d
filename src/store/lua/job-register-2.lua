--[[
  Records a scheduled job at start (src/store/job-runs.ts, register). A new job, or one whose schedule
  changed, starts its missed-tick detection from ARGV[2]: ticks of a schedule that was not in force are
  never caught up.

  KEYS[1] jobrun:<name> (hash)
  KEYS[2] jobruns (set of names)
  ARGV[1] schedule (the cron expression)
  ARGV[2] the next tick due, epoch ms
  ARGV[3] the job's name

  Returns: 1 when (re)set, 0 when the record already had this schedule
]]
redis.call('SADD', KEYS[2], ARGV[3])
if redis.call('HGET', KEYS[1], 'schedule') == ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'schedule', ARGV[1], 'nextDue', ARGV[2])
return 1
