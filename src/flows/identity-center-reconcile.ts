import type { IcReconcileSummary, RemovedAssignment } from '../core/index.js';
import type { Deps } from '../deps.js';
import { postBestEffort } from '../slack/reply.js';

/**
 * The identity-center-reconcile job's work: no standing access on elevation_only permission sets. Core lists
 * every assignment of those sets, then reads the store's active grants (this flow's `grants` port), and
 * removes what no grant explains, each removal audited. The grants are read through the port, after the
 * listing, never before (see core/identity-center/reconcile.ts for why).
 *
 * A store that cannot be read removes nothing (its error is reported); an empty store, one that was lost,
 * explains nothing, so every assignment on those sets goes: that is what "no standing access" means.
 * When something was removed the approvals channel is told, best effort, as the break-glass broadcast is:
 * the people who approve access are the ones to see it taken away.
 */
export type IcReconcileDeps = Pick<Deps, 'config' | 'core' | 'clock' | 'logger' | 'client' | 'store'>;

export const IC_RECONCILE_ACTOR = 'system:identity-center-reconcile';
/** The note lists this many removals, then counts the rest: a message stays readable. */
const SHOWN = 10;

function removedLine(r: RemovedAssignment): string {
  const who = r.principalType === 'GROUP' ? `group \`${r.principalId}\`` : `user \`${r.principalId}\``;
  return `• permission set \`${r.permissionSet}\` in ${r.account}: ${who}`;
}

/** The approvals channel's note about one run's removals. Pure. */
export function removalNote(s: IcReconcileSummary): string {
  const n = s.removed.length;
  const lines = [
    `Identity Center reconcile removed ${n} assignment${n === 1 ? '' : 's'} of elevation_only permission sets with no active grant behind ${n === 1 ? 'it' : 'them'}:`,
    ...[...s.removed]
      .sort((a, b) => `${a.permissionSet}|${a.account}`.localeCompare(`${b.permissionSet}|${b.account}`))
      .slice(0, SHOWN)
      .map(removedLine),
    ...(n > SHOWN ? [`…and ${n - SHOWN} more (see the audit trail).`] : []),
  ];
  const failed = s.failed.filter((f) => f.step === 'remove').length;
  if (failed > 0)
    lines.push(`${failed} removal${failed === 1 ? '' : 's'} failed and will be retried on the next run.`);
  return lines.join('\n');
}

export async function reconcileIdentityCenter(deps: IcReconcileDeps): Promise<IcReconcileSummary> {
  const who = {
    actor: IC_RECONCILE_ACTOR,
    requestId: `job-identity-center-reconcile-${deps.clock.now().toISOString()}`,
  };
  const summary = await deps.core.removeUnexplainedAssignments(who, {
    grants: () => deps.store.grants.listActive(),
  });
  if (summary.grantsError)
    deps.logger.warn(
      { err: summary.grantsError, assignments: summary.assignments },
      'identity-center reconcile: the grant store could not be read; nothing removed',
    );
  if (summary.removed.length > 0)
    await postBestEffort(deps.client, deps.logger, deps.config.slack.approvals_channel, {
      text: removalNote(summary),
    });
  return summary;
}
