import { randomUUID } from 'node:crypto';
import type { Deps } from '../../deps.js';
import type { PendingRequest } from '../../store/types.js';

export type RequestFields = Omit<
  PendingRequest,
  'id' | 'status' | 'approvals' | 'createdAt' | 'expiresAt'
> & {
  id?: string;
};

/** A fresh pending request: new id, no approvals yet, expiring after approvals.ttl_hours. */
export function newRequest(deps: Pick<Deps, 'clock' | 'config'>, fields: RequestFields): PendingRequest {
  const now = deps.clock.now();
  return {
    id: randomUUID(),
    ...fields,
    approvals: [],
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.config.approvals.ttl_hours * 3_600_000).toISOString(),
  };
}
