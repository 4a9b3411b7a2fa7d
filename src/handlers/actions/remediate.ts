import type { Deps } from '../../deps.js';
import { fileRemediation } from '../../flows/requests/remediate.js';
import { onButton } from '../../slack/listener.js';
import type { RemediationAction } from '../../store/types.js';

/** A remediation button on a digest finding: files an approval request, never acts. */
export const remediateAction = (deps: Deps, action: RemediationAction) =>
  onButton(deps, `remediate-${action}`, async (c) => {
    const answer = await fileRemediation(deps, c.user, action, c.value);
    if (answer) await c.reply(answer);
  });
