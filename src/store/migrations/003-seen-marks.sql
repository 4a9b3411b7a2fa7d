-- Short-lived marks (Store.firstSeen / seen): answered request signatures (the replay cache) and the views
-- the bot opened per user. Expired rows are pruned on each write, through the until_ms index.
CREATE TABLE seen_marks (
  key TEXT PRIMARY KEY,
  until_ms INTEGER NOT NULL
);
CREATE INDEX seen_marks_until ON seen_marks (until_ms);
