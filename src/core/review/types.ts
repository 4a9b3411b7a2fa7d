/**
 * Access reviews (user access certification, SOC 2 CC6.2/CC6.3): a campaign freezes, at its start, every
 * entitlement of every person in scope as one item each, with the evidence a reviewer decides on (last use).
 * Reviewers then keep or revoke each item; revocations are tracked to done or failed; the closed campaign is
 * the auditor's evidence. These types are the port between core (which builds the snapshot and the report)
 * and the store (which keeps campaigns durable and makes every decision exactly once).
 */

/** What one item certifies. */
export type EntitlementKind =
  | 'group'
  | 'managed-policy'
  | 'inline-policy'
  | 'console'
  | 'access-key'
  | 'permission-set';

export type CampaignStatus =
  /** Written by `aws-user review start`, the slash command or the job; the bot has not told reviewers yet. */
  | 'created'
  /** Reviewers resolved and told; decisions are taken. */
  | 'open'
  /** One replica is writing the report (CAS open → closing, so the report is made once). */
  | 'closing'
  | 'closed';

export interface CampaignAccount {
  id: string;
  name: string;
  /** false: the account could not be read at start; its IAM users are not in the campaign, and the report says so. */
  ok: boolean;
  error?: string;
  /** The credential report's GeneratedTime: the evidence's age. */
  reportGeneratedAt?: string;
}

export interface ReviewCampaign {
  /** Short and URL/button-safe: `rv-` + 8 lower-case hex. */
  id: string;
  name: string;
  status: CampaignStatus;
  createdAt: string;
  /** `cli:<user>`, a Slack user id, or `job:access-review`. */
  createdBy: string;
  dueAt: string;
  accounts: CampaignAccount[];
  /** The inactivity thresholds the evidence was judged by (a keep of access unused beyond them needs a comment). */
  thresholds: { console_days: number; access_key_days: number };
  itemCount: number;
  /** When the bot resolved reviewers and sent the DMs (status created → open). */
  launchedAt?: string;
  /** The campaign's message in the channel, updated in place with progress. */
  message?: { channel: string; ts: string };
  closedAt?: string;
  closedReason?: 'all-decided' | 'due' | 'closed-by-admin';
  /** Where the closing report went. */
  report?: { channel?: string; fileIds?: string[]; jiraKey?: string };
  /** The last reminder round (reminders go every review.reminder_days after launch). */
  remindedAt?: string;
  /** When undecided items went to the fallback reviewers (the due date passed). */
  escalatedAt?: string;
}

/** Campaign fields a lifecycle step may set without a status change. */
export type CampaignPatch = Partial<
  Pick<ReviewCampaign, 'message' | 'report' | 'remindedAt' | 'escalatedAt'>
>;

export interface ReviewPrincipal {
  kind: 'iam-user' | 'identity-center-user';
  /** IAM UserName, or Identity Store UserName. */
  name: string;
  /** Identity Store UserId (identity-center-user). */
  id?: string;
  email?: string;
  /** The `Manager` tag (an email), when the IAM user has one. */
  managerEmail?: string;
  /** The `SlackUserId` tag, when the IAM user has one. */
  slackUserId?: string;
}

export interface ReviewEntitlement {
  kind: EntitlementKind;
  /** Group name, policy ARN (managed), policy name (inline), `console`, `access key N`, permission set name. */
  name: string;
  /** access-key: slot and creation time, as the credential report names a key (its id is looked up to revoke). */
  keySlot?: 1 | 2;
  keyCreatedAt?: string;
  /** permission-set: the assignment. */
  permissionSetArn?: string;
}

export interface ReviewEvidence {
  /** ISO time of last use of this credential (console, access-key) or of the person's last use of any. */
  lastUsed?: string;
  /** What lastUsed measures, in words: "console sign-in", "access key 1", "any credential". */
  lastUsedOf?: string;
  /** The person or credential exists but was never used (per the credential report). */
  neverUsed?: boolean;
  /** When the user (or key) was created. */
  createdAt?: string;
  /** Unused beyond the campaign's thresholds: keeping it needs a comment. */
  unused: boolean;
  /** Where evidence cannot exist, say so (Identity Store has no last sign-in time). */
  note?: string;
}

export type ReviewerSource = 'manager' | 'fallback' | 'reassigned' | 'escalated';

export interface Reassignment {
  from: string;
  to: string;
  by: string;
  at: string;
  reason: string;
}

export type DecisionOutcome = 'keep' | 'revoke';

export interface ReviewDecision {
  outcome: DecisionOutcome;
  /** Slack user id of who decided. */
  by: string;
  at: string;
  comment?: string;
}

export type RevocationStatus = 'requested' | 'done' | 'failed' | 'denied' | 'expired';

export interface Revocation {
  status: RevocationStatus;
  /** The approval request it filed (absent when run at once: review.revoke_without_approval). */
  requestId?: string;
  at: string;
  /** Secret-free outcome line: what was removed, or why it failed. */
  detail?: string;
}

export interface ReviewItem {
  /** `<campaignId>.<seq>`: short enough for a button value. */
  id: string;
  campaignId: string;
  /** 1-based, the order of the snapshot (account, person, entitlement). */
  seq: number;
  account: string;
  accountName: string;
  principal: ReviewPrincipal;
  entitlement: ReviewEntitlement;
  evidence: ReviewEvidence;
  /** Slack user id; set when the campaign is launched, changed by reassignment or escalation. */
  reviewer?: string;
  reviewerSource?: ReviewerSource;
  /** The owner's Slack user id when known: the store refuses their decision (nobody reviews their own access). */
  ownerSlackId?: string;
  reassignments?: Reassignment[];
  decision?: ReviewDecision;
  revocation?: Revocation;
}

/**
 * A decision or a reassignment: done, or why not (`missing` item, campaign not open (`closed`), `decided`
 * already, `not-reviewer`: the actor is not the item's current reviewer, `self`: the owner's own access).
 */
export type ItemChangeResult =
  | { ok: true; item: ReviewItem }
  | { ok: false; reason: 'missing' | 'closed' | 'decided' | 'not-reviewer' | 'self'; item?: ReviewItem };

export interface ReviewerProgress {
  reviewer: string;
  total: number;
  decided: number;
  kept: number;
  revoked: number;
}

export interface ReviewStore {
  /**
   * Writes the campaign and its items (in batches for large campaigns; the campaign row last, so a reader
   * that sees the campaign sees all of its items).
   */
  createCampaign(campaign: ReviewCampaign, items: readonly ReviewItem[]): Promise<void>;
  getCampaign(id: string): Promise<ReviewCampaign | undefined>;
  /** Newest first; only the given statuses when set. */
  listCampaigns(opts?: { status?: readonly CampaignStatus[]; limit?: number }): Promise<ReviewCampaign[]>;
  /** Compare-and-set of the status (with the patch applied in the same step): true for the one caller that moved it. */
  transitionCampaign(
    id: string,
    from: CampaignStatus,
    to: CampaignStatus,
    patch?: Partial<Pick<ReviewCampaign, 'launchedAt' | 'closedAt' | 'closedReason'>> & CampaignPatch,
  ): Promise<boolean>;
  /** Sets fields that carry no decision (the channel message, the report's whereabouts). */
  updateCampaign(id: string, patch: CampaignPatch): Promise<void>;
  /** In seq order; only the reviewer's, only undecided ones, when asked. */
  items(campaignId: string, opts?: { reviewer?: string; open?: boolean }): Promise<ReviewItem[]>;
  getItem(id: string): Promise<ReviewItem | undefined>;
  /**
   * Sets reviewers (at launch, and on escalation): only undecided items change. `ownerSlackId` is recorded
   * when given. Returns how many items changed.
   */
  assignReviewers(
    assignments: readonly {
      itemId: string;
      reviewer: string;
      source: ReviewerSource;
      ownerSlackId?: string;
    }[],
  ): Promise<number>;
  /**
   * Records a decision exactly once: only while the campaign is open, only on an undecided item, only by its
   * current reviewer, never by its owner. A double click or a second replica gets `decided` with the item.
   */
  decide(itemId: string, decision: ReviewDecision): Promise<ItemChangeResult>;
  /** Moves an undecided item from its current reviewer (`by` must be them) to `to`, never to its owner. */
  reassign(itemId: string, r: Omit<Reassignment, 'from'>): Promise<ItemChangeResult>;
  /** Tracks a revocation (requested → done | failed | denied | expired). */
  setRevocation(itemId: string, revocation: Revocation): Promise<void>;
  /** Per reviewer, for the channel message and App Home. */
  progress(campaignId: string): Promise<ReviewerProgress[]>;
}
