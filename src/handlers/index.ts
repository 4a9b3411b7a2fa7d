import type { App, BlockAction, ButtonAction, UsersSelectAction } from '@slack/bolt';
import type { AppDeps } from '../deps.js';
import { HOME_ACTIONS } from '../views/app-home.js';
import { APPROVE_ACTION, DENY_ACTION } from '../views/approval.js';
import { CREATE_CALLBACK, USER_PICKED_ACTION } from '../views/create-modal.js';
import { REMEDIATE_ACTIONS } from '../views/digest.js';
import { BREAK_GLASS_CALLBACK, GRANT_ACTIONS, GRANT_REQUEST_CALLBACK } from '../views/grants.js';
import { MFA_CODES_CALLBACK, MFA_OPEN_CODES_ACTION } from '../views/mfa.js';
import { approveAction } from './actions/approve.js';
import { denyAction } from './actions/deny.js';
import { grantExtendAction, grantRevokeAction } from './actions/grant-buttons.js';
import {
  homeEnrollMfaAction,
  homeRefreshAction,
  homeRequestAccessAction,
  homeRotateKeyAction,
} from './actions/home-buttons.js';
import { mfaOpenCodesAction } from './actions/mfa-open-codes.js';
import { remediateAction } from './actions/remediate.js';
import { userPickedAction } from './actions/user-picked.js';
import { appHomeOpened } from './events/app-home-opened.js';
import { createSubmit } from './views/create-submit.js';
import { grantSubmit } from './views/grant-submit.js';
import { mfaCodesSubmit } from './views/mfa-codes-submit.js';

/** Buttons, selects and modal submissions; one listener per file, ids from src/views. */
export function register(app: App, deps: AppDeps): void {
  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, approveAction(deps));
  app.action<BlockAction<ButtonAction>>(DENY_ACTION, denyAction(deps));
  app.action<BlockAction<ButtonAction>>(MFA_OPEN_CODES_ACTION, mfaOpenCodesAction(deps));
  app.action<BlockAction<UsersSelectAction>>(USER_PICKED_ACTION, userPickedAction(deps));
  app.view(CREATE_CALLBACK, createSubmit(deps));
  app.view(MFA_CODES_CALLBACK, mfaCodesSubmit(deps));
  app.action<BlockAction<ButtonAction>>(GRANT_ACTIONS.done, grantRevokeAction(deps, false));
  app.action<BlockAction<ButtonAction>>(GRANT_ACTIONS.adminRevoke, grantRevokeAction(deps, true));
  app.action<BlockAction<ButtonAction>>(GRANT_ACTIONS.extend, grantExtendAction(deps));
  app.action<BlockAction<ButtonAction>>(HOME_ACTIONS.enrollMfa, homeEnrollMfaAction(deps));
  app.action<BlockAction<ButtonAction>>(HOME_ACTIONS.rotateKey, homeRotateKeyAction(deps));
  app.action<BlockAction<ButtonAction>>(HOME_ACTIONS.requestAccess, homeRequestAccessAction(deps));
  app.action<BlockAction<ButtonAction>>(HOME_ACTIONS.refresh, homeRefreshAction(deps));
  app.view(GRANT_REQUEST_CALLBACK, grantSubmit(deps, 'request'));
  app.view(BREAK_GLASS_CALLBACK, grantSubmit(deps, 'break-glass'));
  app.action<BlockAction<ButtonAction>>(REMEDIATE_ACTIONS.disableKeys, remediateAction(deps, 'disable-keys'));
  app.action<BlockAction<ButtonAction>>(
    REMEDIATE_ACTIONS.disableConsole,
    remediateAction(deps, 'disable-console'),
  );
  app.action<BlockAction<ButtonAction>>(REMEDIATE_ACTIONS.offboard, remediateAction(deps, 'offboard'));
  app.event('app_home_opened', appHomeOpened(deps));
}
