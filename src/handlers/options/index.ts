import type { App } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import { CREATE_BLOCKS } from '../../views/create-modal.js';
import { GRANT_BLOCKS } from '../../views/grant-modal.js';
import { accountOptionsListener } from './account-options.js';
import { grantAccessOptionsListener } from './grant-access-options.js';
import { templateOptionsListener } from './template-options.js';

/**
 * external_select options requests (a select past Slack's 100 options): one listener per file. Each answers only
 * from the config; the submission checks the picked value against the config again.
 */
export function register(app: App, deps: Deps): void {
  app.options({ type: 'block_suggestion', action_id: CREATE_BLOCKS.template }, templateOptionsListener(deps));
  app.options({ type: 'block_suggestion', action_id: CREATE_BLOCKS.account }, accountOptionsListener(deps));
  app.options({ type: 'block_suggestion', action_id: GRANT_BLOCKS.account }, accountOptionsListener(deps));
  app.options({ type: 'block_suggestion', action_id: GRANT_BLOCKS.access }, grantAccessOptionsListener(deps));
}
