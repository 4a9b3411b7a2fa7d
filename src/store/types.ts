import type { AuditEvent, AuditSink } from '../core/audit.js';

/**
 * What the bot keeps between requests. Never a secret: no password, key secret, MFA seed or QR bytes is
 * ever written here (test/app/secrets.test.ts scans every key and value written during a full flow).
 */
export type RequestKind = 'create' | 'offboard';
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

export interface MfaEnrollment {
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

/** Time-bound access from the request modal's duration: offboarded by the temporary-access job when due. */
export interface TemporaryGrant {
  /** The request that created the user. */
  id: string;
  account: string;
  username: string;
  owner?: string;
  requester: string;
  endsAt: string;
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
  /** Requests that started running before `cutoff` and never finished (their replica died mid-run). */
  listApprovingSince(cutoff: Date): Promise<PendingRequest[]>;

  putMfa(e: MfaEnrollment): Promise<void>;
  getMfa(id: string): Promise<MfaEnrollment | undefined>;
  /** Removes and returns; undefined when someone else already took it (so cleanup runs once). */
  takeMfa(id: string): Promise<MfaEnrollment | undefined>;
  listMfaStartedBefore(cutoff: Date): Promise<MfaEnrollment[]>;

  putGrant(g: TemporaryGrant): Promise<void>;
  /** Grants whose endsAt ≤ now, each removed as it is returned, so one replica handles each. */
  takeDueGrants(now: Date): Promise<TemporaryGrant[]>;

  /** A lease: the token to release with, or undefined when another holder has it. */
  acquireLock(name: string, ttlMs: number): Promise<string | undefined>;
  releaseLock(name: string, token: string): Promise<boolean>;

  audit: AuditSink & { recent(opts: { target?: string; limit: number }): Promise<AuditEvent[]> };
  close(): Promise<void>;
}

export const TERMINAL: readonly RequestStatus[] = ['done', 'failed', 'denied', 'expired'];
