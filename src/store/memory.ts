import { randomUUID } from 'node:crypto';
import { MemoryAuditSink } from '../core/audit.js';
import { type Clock, systemClock } from '../core/clock.js';
import { MemoryFindingHistory } from './finding-history-memory.js';
import { MemoryGrantStore } from './grant-store-memory.js';
import { MemoryJobRunStore } from './job-runs-memory.js';
import { MemoryReviewStore } from './review-store-memory.js';
import type {
  ApproveResult,
  DenyResult,
  FindingRef,
  MfaEnrollmentRecord,
  PendingRequest,
  Store,
  TemporaryUser,
} from './types.js';

export interface MemoryStoreOptions {
  clock?: Clock;
}

/**
 * For unit tests only: the store contract in its simplest form (JS is single-threaded, so each method body
 * is atomic), but nothing survives a restart. Nothing in src/ constructs it; without REDIS_URL the bot runs
 * on SqliteStore.
 */
export class MemoryStore implements Store {
  private readonly requests = new Map<string, PendingRequest>();
  /** Approving requests' last lease renewal (epoch ms); absent = the approval itself. */
  private readonly leases = new Map<string, number>();
  private readonly mfa = new Map<string, MfaEnrollmentRecord>();
  private readonly findings = new Map<string, { ref: FindingRef; until: number }>();
  private readonly locks = new Map<string, { token: string; until: number }>();
  readonly audit = new MemoryAuditSink();
  readonly grants: MemoryGrantStore;
  readonly jobs: MemoryJobRunStore;
  readonly history = new MemoryFindingHistory();
  readonly reviews = new MemoryReviewStore();
  /** Lock leases and finding-ref TTLs run on it, so tests can move time past them. */
  private readonly clock: Clock;

  constructor(opts: MemoryStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.grants = new MemoryGrantStore(this.clock);
    this.jobs = new MemoryJobRunStore(this.clock);
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  async ping(): Promise<void> {}

  private copy<T>(v: T): T {
    return structuredClone(v);
  }

  async createRequest(req: PendingRequest): Promise<void> {
    if (!this.requests.has(req.id)) this.requests.set(req.id, this.copy(req));
  }

  async getRequest(id: string): Promise<PendingRequest | undefined> {
    const r = this.requests.get(id);
    return r ? this.copy(r) : undefined;
  }

  async setRequestMessage(id: string, message: { channel: string; ts: string }): Promise<void> {
    const r = this.requests.get(id);
    if (r) r.message = { ...message };
  }

  private expireIfDue(r: PendingRequest, now: Date): boolean {
    if (r.status !== 'pending' || now.getTime() < Date.parse(r.expiresAt)) return false;
    Object.assign(r, {
      status: 'expired',
      decidedBy: 'system',
      decidedAt: now.toISOString(),
      outcome: 'expired before enough approvals',
    });
    return true;
  }

  async approve(id: string, approver: string, now: Date): Promise<ApproveResult> {
    const r = this.requests.get(id);
    if (!r) return { result: 'missing' };
    if (r.status !== 'pending') return { result: 'closed', request: this.copy(r) };
    if (this.expireIfDue(r, now)) return { result: 'expired', request: this.copy(r) };
    if (r.approvals.some((a) => a.user === approver)) return { result: 'duplicate', request: this.copy(r) };
    r.approvals.push({ user: approver, at: now.toISOString() });
    if (r.approvals.length < r.approvalsNeeded) return { result: 'counted', request: this.copy(r) };
    Object.assign(r, { status: 'approving', decidedBy: approver, decidedAt: now.toISOString() });
    return { result: 'approved', request: this.copy(r) };
  }

  async deny(id: string, by: string, now: Date, reason?: string): Promise<DenyResult> {
    const r = this.requests.get(id);
    if (!r) return { result: 'missing' };
    if (r.status !== 'pending') return { result: 'closed', request: this.copy(r) };
    if (this.expireIfDue(r, now)) return { result: 'expired', request: this.copy(r) };
    Object.assign(r, {
      status: 'denied',
      decidedBy: by,
      decidedAt: now.toISOString(),
      outcome: reason ? `denied: ${reason}` : 'denied',
    });
    return { result: 'denied', request: this.copy(r) };
  }

  async finish(id: string, status: 'done' | 'failed', outcome: string): Promise<boolean> {
    const r = this.requests.get(id);
    if (r?.status !== 'approving') return false;
    Object.assign(r, { status, outcome });
    return true;
  }

  async expireDue(now: Date): Promise<PendingRequest[]> {
    const moved: PendingRequest[] = [];
    for (const r of this.requests.values()) if (this.expireIfDue(r, now)) moved.push(this.copy(r));
    return moved;
  }

  async renewApproving(id: string, now: Date): Promise<void> {
    if (this.requests.get(id)?.status === 'approving') this.leases.set(id, now.getTime());
  }

  async listApprovingSince(cutoff: Date): Promise<PendingRequest[]> {
    const leaseOf = (r: PendingRequest) => this.leases.get(r.id) ?? Date.parse(r.decidedAt ?? '');
    return [...this.requests.values()]
      .filter((r) => r.status === 'approving' && leaseOf(r) < cutoff.getTime())
      .map((r) => this.copy(r));
  }

  async listPending(): Promise<PendingRequest[]> {
    return [...this.requests.values()].filter((r) => r.status === 'pending').map((r) => this.copy(r));
  }

  async putFindingRefs(refs: FindingRef[], ttlMs: number): Promise<void> {
    const until = this.nowMs() + ttlMs;
    for (const r of refs) this.findings.set(r.id, { ref: this.copy(r), until });
  }

  async getFindingRef(id: string): Promise<FindingRef | undefined> {
    const hit = this.findings.get(id);
    return hit && hit.until > this.nowMs() ? this.copy(hit.ref) : undefined;
  }

  async putMfa(e: MfaEnrollmentRecord): Promise<void> {
    this.mfa.set(e.id, this.copy(e));
  }

  async getMfa(id: string): Promise<MfaEnrollmentRecord | undefined> {
    const e = this.mfa.get(id);
    return e ? this.copy(e) : undefined;
  }

  async takeMfa(id: string): Promise<MfaEnrollmentRecord | undefined> {
    const e = this.mfa.get(id);
    this.mfa.delete(id);
    return e;
  }

  async listMfaStartedBefore(cutoff: Date): Promise<MfaEnrollmentRecord[]> {
    return [...this.mfa.values()]
      .filter((e) => Date.parse(e.startedAt) < cutoff.getTime())
      .map((e) => this.copy(e));
  }

  private readonly temporaryUsers = new Map<string, TemporaryUser>();

  async putTemporaryUser(g: TemporaryUser): Promise<void> {
    this.temporaryUsers.set(g.id, this.copy(g));
  }

  async takeDueTemporaryUsers(now: Date): Promise<TemporaryUser[]> {
    const due = [...this.temporaryUsers.values()].filter((g) => Date.parse(g.endsAt) <= now.getTime());
    for (const g of due) this.temporaryUsers.delete(g.id);
    return due;
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | undefined> {
    const held = this.locks.get(name);
    if (held && held.until > this.nowMs()) return undefined;
    const token = randomUUID();
    this.locks.set(name, { token, until: this.nowMs() + ttlMs });
    return token;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    if (this.locks.get(name)?.token !== token) return false;
    this.locks.delete(name);
    return true;
  }

  private readonly marks = new Map<string, number>();

  /** Synchronous, so check-and-set cannot interleave with another caller. */
  private markLive(key: string): boolean {
    const until = this.marks.get(key);
    if (until === undefined) return false;
    if (until > this.nowMs()) return true;
    this.marks.delete(key);
    return false;
  }

  async firstSeen(key: string, ttlMs: number): Promise<boolean> {
    if (this.markLive(key)) return false;
    this.marks.set(key, this.nowMs() + ttlMs);
    return true;
  }

  async seen(key: string): Promise<boolean> {
    return this.markLive(key);
  }

  async close(): Promise<void> {}
}
