import type { Deps } from '../../deps.js';
import { publishHome } from '../../flows/home.js';
import { rotateKeys } from '../../flows/keys.js';
import { onButton } from '../../slack/listener.js';
import { parseUserRef } from '../../views/app-home.js';

/** App Home's "Rotate key": the same flow as `/aws-user rotate-keys`, which re-checks ownership. */
export const homeRotateKeyAction = (deps: Deps) =>
  onButton(deps, 'home-rotate-key', async (c) => {
    const ref = parseUserRef(c.value);
    if (!ref) return c.reply('That button is out of date; refresh App Home.');
    await c.reply(await rotateKeys(deps, c.user, [ref.username, ref.account]));
    await publishHome(deps, c.user).catch(() => undefined);
  });
