import type { Deps } from '../../deps.js';
import { publishHome } from '../../flows/home.js';
import { startMfa } from '../../flows/mfa.js';
import { onButton } from '../../slack/listener.js';
import { parseUserRef } from '../../views/app-home.js';

/** App Home's "Enrol MFA" on one of the clicker's users: the same flow as `/aws-user mfa`, which re-checks ownership. */
export const homeEnrollMfaAction = (deps: Deps) =>
  onButton(deps, 'home-enroll-mfa', async (c) => {
    const ref = parseUserRef(c.value);
    if (!ref) return c.reply('That button is out of date; refresh App Home.');
    await c.reply(await startMfa(deps, c.user, [ref.username, ref.account]));
    await publishHome(deps, c.user).catch(() => undefined);
  });
