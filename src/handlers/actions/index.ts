import type { App, BlockAction, ButtonAction, UsersSelectAction } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { HOME_ACTIONS } from '../../views/app-home.js';
import { APPROVE_ACTION, DENY_ACTION } from '../../views/approval.js';
import { USER_PICKED_ACTION } from '../../views/create-modal.js';
import { REMEDIATE_ACTIONS } from '../../views/digest.js';
import { GRANT_ACTIONS } from '../../views/grant-messages.js';
import { MFA_OPEN_CODES_ACTION } from '../../views/mfa.js';
import { REVIEW_ACTIONS } from '../../views/review.js';
import { approveAction } from './approve.js';
import { denyAction } from './deny.js';
import { grantExtendAction } from './grant-extend.js';
import { grantRevokeAction } from './grant-revoke.js';
import { homeEnrollMfaAction } from './home-enroll-mfa.js';
import { homeRefreshAction } from './home-refresh.js';
import { homeRequestAccessAction } from './home-request-access.js';
import { homeRotateKeyAction } from './home-rotate-key.js';
import { mfaOpenCodesAction } from './mfa-open-codes.js';
import { remediateAction } from './remediate.js';
import { reviewHomeShowAction } from './review-home-show.js';
import { reviewKeepAction } from './review-keep.js';
import { reviewKeepAllAction } from './review-keep-all.js';
import { reviewNotMineAction } from './review-not-mine.js';
import { reviewPageAction } from './review-page.js';
import { reviewRevokeAction } from './review-revoke.js';
import { userPickedAction } from './user-picked.js';

/** Buttons and selects, one listener per file; the ids live next to the views that draw them. */
export function register(app: App, deps: Deps): void {
  const button = (id: string, listener: ReturnType<typeof approveAction>) =>
    app.action<BlockAction<ButtonAction>>(id, listener);
  button(APPROVE_ACTION, approveAction(deps));
  button(DENY_ACTION, denyAction(deps));
  button(MFA_OPEN_CODES_ACTION, mfaOpenCodesAction(deps));
  button(GRANT_ACTIONS.done, grantRevokeAction(deps, false));
  button(GRANT_ACTIONS.adminRevoke, grantRevokeAction(deps, true));
  button(GRANT_ACTIONS.extend, grantExtendAction(deps));
  button(HOME_ACTIONS.enrollMfa, homeEnrollMfaAction(deps));
  button(HOME_ACTIONS.rotateKey, homeRotateKeyAction(deps));
  button(HOME_ACTIONS.requestAccess, homeRequestAccessAction(deps));
  button(HOME_ACTIONS.refresh, homeRefreshAction(deps));
  button(REMEDIATE_ACTIONS.disableKeys, remediateAction(deps, 'disable-keys'));
  button(REMEDIATE_ACTIONS.disableConsole, remediateAction(deps, 'disable-console'));
  button(REMEDIATE_ACTIONS.offboard, remediateAction(deps, 'offboard'));
  button(REVIEW_ACTIONS.keep, reviewKeepAction(deps));
  button(REVIEW_ACTIONS.revoke, reviewRevokeAction(deps));
  button(REVIEW_ACTIONS.notMine, reviewNotMineAction(deps));
  button(REVIEW_ACTIONS.keepAll, reviewKeepAllAction(deps));
  button(REVIEW_ACTIONS.pagePrev, reviewPageAction(deps));
  button(REVIEW_ACTIONS.pageNext, reviewPageAction(deps));
  button(REVIEW_ACTIONS.homeShow, reviewHomeShowAction(deps));
  app.action<BlockAction<UsersSelectAction>>(USER_PICKED_ACTION, userPickedAction(deps));
}
