-- Scheduled-job runs (src/store/job-runs.ts): one row per job, the record as JSON (a JobRow: schedule,
-- claimed and completed ticks, next tick due, and the lease while a run is in progress).
CREATE TABLE job_runs (
  name TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
