import type { AuditEvent, AuditSink } from '../core/audit.js';
import type { FindingHistory } from '../core/detect/history.js';
import type { GrantKind } from '../core/grants.js';
import type { EntitlementKind, ReviewPrincipal, ReviewStore } from '../core/review/types.js';
import type { ElevatedAccess } from '../core/templates.js';
import type { GrantStore } from './grant-store.js';
import type { JobRunStore } from './job-runs.js';

/**
 * What the bot keeps between requests. Never a secret: no password, key secret, MFA seed or QR bytes is
 * ever written here (test/app/secrets.test.ts scans every key and value written during a full flow).
 */
export type RequestKind = 'create' | 'offboard' | 'grant' | 'remediate' | 'revoke';
export type RequestStatus = 'pending' | 'approving' | 'done' | 'failed' | 'denied' | 'expired';

export interface Approval {
  user: string;
  at: string;
}

export interface RequestTarget {
  username: string;
  email?: string;
  /** The Slack user who will own the IAM user: secrets are DM'd to them. */
  slackUserId?: string;
  displayName?: string;
}

export interface PendingRequest {
  id: string;
  kind: RequestKind;
  requester: string;
  target: RequestTarget;
  template?: string;
  /** Account id; always resolved, never a name, so two requests for one account compare equal. */
  account: string;
  justification: string;
  extraGroups: string[];
  durationHours?: number;
  approvalsNeeded: number;
  adminOnly: boolean;
  /**
   * Access in the request that a stricter template than its own also grants, which raised approvalsNeeded
   * or adminOnly (approvalRule): shown on the approval message in plain words.
   */
  elevated?: ElevatedAccess[];
  approvals: Approval[];
  status: RequestStatus;
  createdAt: string;
  expiresAt: string;
  /** Who moved it out of pending (the last approver, the denier, or "system" on expiry), and when. */
  decidedBy?: string;
  decidedAt?: string;
  /** A short, secret-free outcome line shown on the message and to later clickers. */
  outcome?: string;
  message?: { channel: string; ts: string };
  /** The target is an IAM Identity Center user (a create from an identity_center template, or its offboarding). */
  identityCenter?: boolean;
  /** kind 'grant': time-bound access for target.username (the requester's own IAM user). */
  grant?: {
    kind: GrantKind;
    target: string;
    durationMinutes: number;
    extension?: boolean;
    /** kind 'permission-set': target.username is the Identity Store UserName; these name the assignment. */
    principalId?: string;
    permissionSetArn?: string;
    accountName?: string;
  };
  /** kind 'remediate': a fix asked for from a digest finding. */
  remediation?: { action: RemediationAction; finding: FindingRef };
  /** kind 'revoke': an access review's revoke decision; the item itself is read again when it runs. */
  review?: ReviewRevocationRef;
}

/** What the approval message shows of the review item a revocation request stands for. */
export interface ReviewRevocationRef {
  campaignId: string;
  itemId: string;
  accountName: string;
  principal: { kind: ReviewPrincipal['kind']; name: string };
  entitlement: { kind: EntitlementKind; name: string };
}

export type RemediationAction = 'disable-keys' | 'disable-console' | 'offboard';

/** What a digest button needs to know about its finding; kept while the digest is actionable. */
export interface FindingRef {
  id: string;
  account: string;
  accountName: string;
  username: string;
  type: string;
  /** Access-key findings: which key, by creation time. */
  keyCreatedAt?: string;
  digest?: { channel: string; ts: string };
  jiraKey?: string;
}

export type ApproveResult =
  | { result: 'approved'; request: PendingRequest }
  | { result: 'counted'; request: PendingRequest }
  | { result: 'duplicate'; request: PendingRequest }
  | { result: 'closed'; request: PendingRequest }
  | { result: 'expired'; request: PendingRequest }
  | { result: 'missing' };

export type DenyResult =
  | { result: 'denied'; request: PendingRequest }
  | { result: 'closed'; request: PendingRequest }
  | { result: 'expired'; request: PendingRequest }
  | { result: 'missing' };

export interface MfaEnrollmentRecord {
  id: string;
  /** Slack user the QR went to (the IAM user's owner). */
  owner: string;
  startedBy: string;
  account: string;
  username: string;
  serialNumber: string;
  fileId?: string;
  channel?: string;
  startedAt: string;
}

/** A user created for a limited time (the create modal's duration): offboarded by the temporary-access job when due. Not to be confused with grants (core/grants.ts), which add access to an existing user for a while. */
export interface TemporaryUser {
  /** The request that created the user. */
  id: string;
  account: string;
  username: string;
  owner?: string;
  requester: string;
  endsAt: string;
}

/**
 * The audit trail as the store keeps it: the evidence for an access review, so nothing is dropped but by
 * `prune`, which the retention job calls with `audit.retention_days`.
 */
export interface AuditLog extends AuditSink {
  /** Newest first. */
  recent(opts: { target?: string; limit: number }): Promise<AuditEvent[]>;
  /**
   * Oldest first, `since` ≤ ts < `until`, at most `limit` events; pass the returned cursor back to read on.
   * No cursor in the answer means the range is exhausted.
   */
  scan(opts: { since: Date; until?: Date; limit: number; cursor?: string }): Promise<{
    events: AuditEvent[];
    cursor?: string;
  }>;
  /** Deletes events older than `before`; returns how many went. */
  prune(before: Date): Promise<number>;
}

export interface Store {
  /** Throws StoreUnavailableError when the backing store does not answer. */
  ping(): Promise<void>;
  createRequest(req: PendingRequest): Promise<void>;
  getRequest(id: string): Promise<PendingRequest | undefined>;
  setRequestMessage(id: string, message: { channel: string; ts: string }): Promise<void>;
  /** Atomic: counts a distinct approver; the click that reaches the quorum moves pending → approving. */
  approve(id: string, approver: string, now: Date): Promise<ApproveResult>;
  deny(id: string, by: string, now: Date, reason?: string): Promise<DenyResult>;
  /** approving → done | failed, with an outcome line. Returns false when the request was not approving. */
  finish(id: string, status: 'done' | 'failed', outcome: string, now: Date): Promise<boolean>;
  /** Marks every pending request whose expiresAt ≤ now as expired; returns those it moved. */
  expireDue(now: Date): Promise<PendingRequest[]>;
  listPending(): Promise<PendingRequest[]>;
  /**
   * The running replica's lease on an approving request: execution renews it every few seconds, so a
   * request whose lease lapsed has no live replica. A no-op once the request is no longer approving.
   */
  renewApproving(id: string, now: Date): Promise<void>;
  /**
   * Approving requests whose lease was last taken (the approval) or renewed before `cutoff`: their replica
   * died mid-run (crash, kill -9, deploy past the shutdown grace).
   */
  listApprovingSince(cutoff: Date): Promise<PendingRequest[]>;

  putMfa(e: MfaEnrollmentRecord): Promise<void>;
  getMfa(id: string): Promise<MfaEnrollmentRecord | undefined>;
  /** Removes and returns; undefined when someone else already took it (so cleanup runs once). */
  takeMfa(id: string): Promise<MfaEnrollmentRecord | undefined>;
  listMfaStartedBefore(cutoff: Date): Promise<MfaEnrollmentRecord[]>;

  putTemporaryUser(g: TemporaryUser): Promise<void>;
  /** Grants whose endsAt ≤ now, each removed as it is returned, so one replica handles each. */
  takeDueTemporaryUsers(now: Date): Promise<TemporaryUser[]>;

  /** A lease: the token to release with, or undefined when another holder has it. */
  acquireLock(name: string, ttlMs: number): Promise<string | undefined>;
  releaseLock(name: string, token: string): Promise<boolean>;

  /**
   * Short-lived marks, shared by every replica: a request signature already answered (replay cache), a view
   * the bot opened for a user. `firstSeen` sets `key` for `ttlMs` and is true only for the caller that set
   * it (atomic across racing replicas); `seen` is true while a mark is set and unexpired. Expired marks go
   * by themselves (Redis PX; SQLite prunes on write), so callers never delete.
   */
  firstSeen(key: string, ttlMs: number): Promise<boolean>;
  seen(key: string): Promise<boolean>;

  /** Digest findings' references, so a button value can be just the finding id. */
  putFindingRefs(refs: FindingRef[], ttlMs: number): Promise<void>;
  getFindingRef(id: string): Promise<FindingRef | undefined>;

  /** Time-bound grants, on the same connection. */
  readonly grants: GrantStore;
  /** Scheduled-job runs: one run per job per cron tick across replicas, and missed-tick catch-up. */
  readonly jobs: JobRunStore;
  /** Every scan run and each finding's life, OPEN to RESOLVED (core/detect/history.ts). */
  readonly history: FindingHistory;
  /** Access-review campaigns and their items: each decision recorded exactly once (core/review/types.ts). */
  readonly reviews: ReviewStore;

  readonly audit: AuditLog;
  close(): Promise<void>;
}
