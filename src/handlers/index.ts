import type { App } from '@slack/bolt';
import type { Deps } from '../deps.js';
import * as actions from './actions/index.js';
import * as events from './events/index.js';
import * as options from './options/index.js';
import * as views from './views/index.js';

/** Buttons, selects, modal submissions and events: one listener per file, an index per kind. */
export function register(app: App, deps: Deps): void {
  actions.register(app, deps);
  views.register(app, deps);
  events.register(app, deps);
  options.register(app, deps);
}
