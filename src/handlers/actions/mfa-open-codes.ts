import type { Deps } from '../../deps.js';
import { onButton } from '../../slack/listener.js';
import { mfaCodesModal } from '../../views/mfa.js';

/** "Enter codes": opens the two-code modal, for the owner only (from the stored enrollment, by id). */
export const mfaOpenCodesAction = (deps: Deps) =>
  onButton(deps, 'mfa-open-codes', async (c) => {
    const e = await deps.store.getMfa(c.value);
    if (!e) return c.reply('This MFA enrollment has ended; run `/aws-user mfa` to start again.');
    if (e.owner !== c.user) return c.reply('Only the owner of this IAM user can enter its codes.');
    await deps.client.views.open({ trigger_id: c.triggerId, view: mfaCodesModal(e.id, e.username) });
  });
