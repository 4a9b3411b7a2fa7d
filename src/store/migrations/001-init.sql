-- The embedded store's schema (src/store/sqlite.ts). Records are JSON in `body`; the columns beside it are
-- only what a transition or an index needs. Times are epoch milliseconds from the bot's injected clock.

-- Requests outlive their approval window so late clickers and the sweeper still see the outcome.
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  -- when the quorum was reached (pending -> approving), for stuck-run recovery
  approving_since_ms INTEGER,
  retain_until_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX requests_pending ON requests (expires_at_ms) WHERE status = 'pending';
CREATE INDEX requests_approving ON requests (approving_since_ms) WHERE status = 'approving';
CREATE INDEX requests_retention ON requests (retain_until_ms);

CREATE TABLE mfa_enrollments (
  id TEXT PRIMARY KEY,
  started_at_ms INTEGER NOT NULL,
  retain_until_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX mfa_enrollments_started ON mfa_enrollments (started_at_ms);

CREATE TABLE temporary_users (
  id TEXT PRIMARY KEY,
  ends_at_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX temporary_users_due ON temporary_users (ends_at_ms);

CREATE TABLE locks (
  name TEXT PRIMARY KEY,
  token TEXT NOT NULL,
  until_ms INTEGER NOT NULL
);

CREATE TABLE finding_refs (
  id TEXT PRIMARY KEY,
  until_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX finding_refs_until ON finding_refs (until_ms);

-- due_ms: set while the grant is active (its expiry, or a retry time after a failed revoke); NULL once
-- claimed. notify_ms: the pre-expiry notice time; NULL once the notice is claimed. retain_until_ms: set
-- once revoked, for the history views.
CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  due_ms INTEGER,
  notify_ms INTEGER,
  retain_until_ms INTEGER,
  body TEXT NOT NULL
);
CREATE INDEX grants_due ON grants (due_ms) WHERE due_ms IS NOT NULL;
CREATE INDEX grants_notify ON grants (notify_ms) WHERE notify_ms IS NOT NULL;
CREATE INDEX grants_retention ON grants (retain_until_ms) WHERE retain_until_ms IS NOT NULL;

-- Fixed-window counters (break-glass uses per user per day).
CREATE TABLE allowances (
  key TEXT PRIMARY KEY,
  n INTEGER NOT NULL,
  until_ms INTEGER NOT NULL
);

-- The audit trail: evidence, so rows leave only through prune (the retention job). seq is the append order.
CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ts_ms INTEGER NOT NULL,
  target TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX audit_events_ts ON audit_events (ts_ms, seq);
CREATE INDEX audit_events_target ON audit_events (target, seq);
