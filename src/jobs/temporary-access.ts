import type { JobDeps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { notify } from '../handlers/lib/dm.js';
import { opsAccount } from '../handlers/lib/execute.js';
import type { Job } from './host.js';

/**
 * Ends time-bound access (the request modal's duration): offboards the user through core when its grant is
 * due, and tells the owner and the requester. A failure puts the grant back for the next run.
 */
export const temporaryAccess: Job = {
  name: 'temporary-access',
  schedule: (c) => c.jobs.grant_revoke_schedule,
  async run(deps: JobDeps) {
    for (const g of await deps.store.takeDueTemporaryUsers(deps.clock.now())) {
      const who = { actor: 'system:temporary-access', requestId: g.id };
      try {
        await deps.ops.offboardUser({ account: opsAccount(g.account), username: g.username }, who);
      } catch (err) {
        deps.logger.error(
          { err: errorMessage(err), grant: g.id },
          'could not end temporary access; retrying next run',
        );
        await deps.store.putTemporaryUser(g);
        continue;
      }
      const text = `Temporary access for IAM user \`${g.username}\` (request \`${g.id}\`) has ended: the user was offboarded.`;
      for (const user of new Set([g.owner, g.requester].filter((u): u is string => Boolean(u)))) {
        await notify(deps.client, user, text).catch(() => undefined);
      }
    }
  },
};
