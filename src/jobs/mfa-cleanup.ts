import type { JobDeps } from '../deps.js';
import { errorMessage } from '../errors.js';
import { opsAccount } from '../handlers/lib/execute.js';
import type { Job } from './host.js';

/** An enrollment nobody finished in this long has its virtual device and QR file deleted. */
export const MFA_ABANDON_AFTER_MS = 15 * 60_000;

export const mfaCleanup: Job = {
  name: 'mfa-cleanup',
  schedule: (c) => c.jobs.mfa_cleanup_schedule,
  async run(deps: JobDeps) {
    const cutoff = new Date(deps.clock.now().getTime() - MFA_ABANDON_AFTER_MS);
    for (const stale of await deps.store.listMfaStartedBefore(cutoff)) {
      // take() is atomic: if the owner completes at this very moment, only one side cleans up.
      const e = await deps.store.takeMfa(stale.id);
      if (!e) continue;
      const who = { actor: 'system:mfa-cleanup', requestId: e.id };
      try {
        await deps.ops.abandonMfaEnrollment(
          { account: opsAccount(e.account), serialNumber: e.serialNumber },
          who,
        );
      } catch (err) {
        deps.logger.warn({ err: errorMessage(err), enrollment: e.id }, 'mfa cleanup: device delete failed');
      }
      if (e.fileId) await deps.client.files.delete({ file: e.fileId }).catch(() => undefined);
      if (e.channel) {
        await deps.client.chat
          .postMessage({
            channel: e.channel,
            text: `MFA enrollment for \`${e.username}\` was abandoned and has been cancelled; run \`/aws-user mfa\` to start again.`,
          })
          .catch(() => undefined);
      }
    }
  },
};
