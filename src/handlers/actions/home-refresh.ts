import type { Deps } from '../../deps.js';
import { publishHome } from '../../flows/home.js';
import { onButton } from '../../slack/listener.js';

export const homeRefreshAction = (deps: Deps) =>
  onButton(deps, 'home-refresh', (c) => publishHome(deps, c.user));
