import type { App } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { CREATE_CALLBACK } from '../../views/create-modal.js';
import { BREAK_GLASS_CALLBACK, GRANT_REQUEST_CALLBACK } from '../../views/grant-modal.js';
import { MFA_CODES_CALLBACK } from '../../views/mfa.js';
import { REVIEW_COMMENT_CALLBACK, REVIEW_REASSIGN_CALLBACK } from '../../views/review.js';
import { createSubmit } from './create-submit.js';
import { grantRequestSubmit } from './grant-request-submit.js';
import { mfaCodesSubmit } from './mfa-codes-submit.js';
import { reviewCommentSubmit } from './review-comment-submit.js';
import { reviewReassignSubmit } from './review-reassign-submit.js';

/** Modal submissions, one listener per file. */
export function register(app: App, deps: Deps): void {
  app.view(CREATE_CALLBACK, createSubmit(deps));
  app.view(MFA_CODES_CALLBACK, mfaCodesSubmit(deps));
  app.view(GRANT_REQUEST_CALLBACK, grantRequestSubmit(deps, 'request'));
  app.view(BREAK_GLASS_CALLBACK, grantRequestSubmit(deps, 'break-glass'));
  app.view(REVIEW_COMMENT_CALLBACK, reviewCommentSubmit(deps));
  app.view(REVIEW_REASSIGN_CALLBACK, reviewReassignSubmit(deps));
}
