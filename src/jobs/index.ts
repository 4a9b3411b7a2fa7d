import { accessReview } from './access-review.js';
import { accessReviewTick } from './access-review-tick.js';
import { approvalExpiry } from './approval-expiry.js';
import { auditRetention } from './audit-retention.js';
import { inactiveDigest } from './digest.js';
import { findingsRetention } from './findings-retention.js';
import { grantNotice } from './grant-notice.js';
import { grantReconcile } from './grant-reconcile.js';
import { grantRevoke } from './grant-revoke.js';
import type { Job } from './host.js';
import { identityCenterReconcile } from './identity-center-reconcile.js';
import { keyRotationSweep } from './key-rotation-sweep.js';
import { mfaCleanup } from './mfa-cleanup.js';
import { offboardSweep } from './offboard-sweep.js';
import { temporaryAccess } from './temporary-access.js';

export { type Job, type JobsHandle, runJob, startJobs } from './host.js';

/** Every scheduled job. Adding one: a file exporting a Job, and one line here. */
export const jobs: readonly Job[] = [
  approvalExpiry,
  keyRotationSweep,
  offboardSweep,
  mfaCleanup,
  grantRevoke,
  grantNotice,
  grantReconcile,
  identityCenterReconcile,
  inactiveDigest,
  temporaryAccess,
  auditRetention,
  findingsRetention,
  accessReview,
  accessReviewTick,
];
