import type { App, BlockAction, ButtonAction, UsersSelectAction } from '@slack/bolt';
import type { AppDeps } from '../deps.js';
import { APPROVE_ACTION, DENY_ACTION } from '../views/approval.js';
import { CREATE_CALLBACK, USER_PICKED_ACTION } from '../views/create-modal.js';
import { MFA_CODES_CALLBACK, MFA_OPEN_CODES_ACTION } from '../views/mfa.js';
import { approveAction } from './actions/approve.js';
import { denyAction } from './actions/deny.js';
import { mfaOpenCodesAction } from './actions/mfa-open-codes.js';
import { userPickedAction } from './actions/user-picked.js';
import { appHomeOpened } from './events/app-home-opened.js';
import { createSubmit } from './views/create-submit.js';
import { mfaCodesSubmit } from './views/mfa-codes-submit.js';

/** Buttons, selects and modal submissions; one listener per file, ids from src/views. */
export function register(app: App, deps: AppDeps): void {
  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, approveAction(deps));
  app.action<BlockAction<ButtonAction>>(DENY_ACTION, denyAction(deps));
  app.action<BlockAction<ButtonAction>>(MFA_OPEN_CODES_ACTION, mfaOpenCodesAction(deps));
  app.action<BlockAction<UsersSelectAction>>(USER_PICKED_ACTION, userPickedAction(deps));
  app.view(CREATE_CALLBACK, createSubmit(deps));
  app.view(MFA_CODES_CALLBACK, mfaCodesSubmit(deps));
  app.event('app_home_opened', appHomeOpened(deps));
}
