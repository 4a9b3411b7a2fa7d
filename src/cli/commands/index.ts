import type { RegisterCliCommand } from '../index.js';
import { accountsCommand } from './accounts.js';
import { auditCommand } from './audit.js';
import { bulkCreateCommand } from './bulk-create.js';
import { createUserCommand } from './create-user.js';
import { deleteUserCommand } from './delete-user.js';
import { enableMfaCommand } from './enable-mfa.js';
import { offboardCommand } from './offboard.js';
import { onboardCommand } from './onboard.js';
import { passwordPolicyCommand } from './password-policy.js';
import { reportCommand } from './report.js';
import { reviewCommand } from './review.js';
import { rotateKeysCommand } from './rotate-keys.js';
import { scanCommand } from './scan.js';
import { sweepCommand } from './sweep.js';
import { templatesCommand } from './templates.js';
import { updateUserCommand } from './update-user.js';

/** One file per command; keep this list in the order `--help` shows them. */
export const commands: RegisterCliCommand[] = [
  createUserCommand,
  updateUserCommand,
  deleteUserCommand,
  bulkCreateCommand,
  onboardCommand,
  offboardCommand,
  rotateKeysCommand,
  enableMfaCommand,
  passwordPolicyCommand,
  sweepCommand,
  scanCommand,
  reportCommand,
  auditCommand,
  reviewCommand,
  templatesCommand,
  accountsCommand,
];
