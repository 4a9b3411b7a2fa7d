-- Access reviews (core/review/types.ts): a campaign and one item per frozen entitlement. Bodies are JSON;
-- the columns are what the queries select on (a campaign's items in seq order, a reviewer's items, the open
-- ones). A campaign row is written after all of its items, so a reader that sees it sees them all.
CREATE TABLE review_campaigns (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX review_campaigns_created ON review_campaigns (created_ms);

CREATE TABLE review_items (
  id TEXT PRIMARY KEY,
  campaign_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  reviewer TEXT,
  decided INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL
);
CREATE INDEX review_items_campaign ON review_items (campaign_id, seq);
CREATE INDEX review_items_reviewer ON review_items (campaign_id, reviewer, seq);
