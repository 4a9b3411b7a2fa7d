-- Finding history (core/detect/history.ts): each finding's life (OPEN → RESOLVED, with when and why) and
-- every scan run (when, which accounts, the counts; the finding ids it saw). Bodies are JSON; the columns
-- are what the queries select and prune on.
CREATE TABLE findings (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  status TEXT NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  resolved_ms INTEGER,
  body TEXT NOT NULL
);
CREATE INDEX findings_open ON findings (account) WHERE status = 'OPEN';
CREATE INDEX findings_resolved ON findings (resolved_ms) WHERE status = 'RESOLVED';
CREATE INDEX findings_last_seen ON findings (last_seen_ms);

CREATE TABLE scan_runs (
  id TEXT PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  source TEXT NOT NULL,
  body TEXT NOT NULL,
  finding_ids TEXT NOT NULL
);
CREATE INDEX scan_runs_at ON scan_runs (at_ms);
