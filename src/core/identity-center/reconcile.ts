import {
  paginateListAccountAssignments,
  paginateListAccountsForProvisionedPermissionSet,
} from '@aws-sdk/client-sso-admin';
import pLimit from 'p-limit';
import type { Config } from '../../config.js';
import { errorMessage } from '../../errors.js';
import { audited } from '../audit.js';
import type { Actor, CoreContext } from '../context.js';
import { deleteAssignment, type ListedAssignment, type PollOptions } from './assignments.js';
import { identityCenter } from './directory.js';

/**
 * No standing access on `elevation_only` permission sets: every assignment of such a set that no active
 * grant explains is removed, and each removal is audited. Identity Center itself is the source of truth for
 * what is assigned, the grant store only for what is explained, so a lost store removes everything (the
 * Identity Center counterpart of core/reconcile.ts's IAM tags).
 *
 * Where to look, per set: the accounts its config lists (`"*"`: every managed account) and every account
 * ListAccountsForProvisionedPermissionSet names. AWS provisions a set into an account when an assignment is
 * made there and keeps it provisioned after the last assignment goes, so that list holds every account an
 * assignment made out of band (in an account the config never mentions) can be in. When the call fails (an
 * older role without sso:ListAccountsForProvisionedPermissionSet), the configured accounts are still read
 * and the failure is reported.
 *
 * The grants are read (`grants()`) only after every assignment has been listed. The grant flow records a
 * grant as active before it creates the assignment, so an assignment seen in a listing always finds its
 * grant in a later read; a read taken before the listing could miss a grant made in between and remove
 * its fresh assignment. A grants read that fails removes nothing: "cannot read" is never "no grants".
 */
export const IC_RECONCILE_ACTION = 'identity-center.reconcile.remove';
export const IC_RECONCILE_REASON = 'no active grant';

/** What the reconcile reads of a grant; the store's Grant fits it (principalId and permissionSetArn optional). */
export interface ExplainingGrant {
  status: string;
  kind: string;
  account: string;
  principalId?: string | undefined;
  permissionSetArn?: string | undefined;
}

export interface ElevationOnlySet {
  name: string;
  arn: string;
  /** The configured account ids, `"*"` expanded; the provisioned accounts are added when read. */
  accounts: string[];
}

/** The elevation_only permission sets of the config, each with its configured accounts. Pure. */
export function elevationOnlySets(
  config: Pick<Config, 'permission_sets'>,
  managed: readonly { id: string }[],
): ElevationOnlySet[] {
  return Object.entries(config.permission_sets)
    .filter(([, ps]) => ps.elevation_only)
    .map(([name, ps]) => ({
      name,
      arn: ps.arn,
      accounts: ps.accounts.includes('*') ? managed.map((a) => a.id) : [...ps.accounts],
    }));
}

/** Explained: a USER assignment with an active (or being revoked) permission-set grant for exactly it. */
export function isExplained(a: ListedAssignment, grants: readonly ExplainingGrant[]): boolean {
  if (a.principalType !== 'USER') return false;
  return grants.some(
    (g) =>
      (g.status === 'active' || g.status === 'revoking') &&
      g.kind === 'permission-set' &&
      g.account === a.account &&
      g.principalId === a.principalId &&
      g.permissionSetArn === a.permissionSetArn,
  );
}

/** The assignments no grant explains (GROUP ones always: grants are to users only). Pure. */
export function unexplained(
  assignments: readonly ListedAssignment[],
  grants: readonly ExplainingGrant[],
): ListedAssignment[] {
  return assignments.filter((a) => !isExplained(a, grants));
}

export interface ReconcileFailure {
  permissionSet: string;
  /** Absent when the failure is the set's provisioned-accounts lookup. */
  account?: string;
  principalType?: 'USER' | 'GROUP';
  principalId?: string;
  /** What failed: the account's listing, the provisioned-accounts lookup, or a removal. */
  step: 'list' | 'provisioned-accounts' | 'remove';
  error: string;
}

export interface RemovedAssignment extends ListedAssignment {
  permissionSet: string;
}

export interface IcReconcileSummary {
  permissionSets: number;
  /** (permission set, account) pairs listed without error. */
  accountsRead: number;
  assignments: number;
  explained: number;
  removed: RemovedAssignment[];
  failed: ReconcileFailure[];
  /** Set when the grants could not be read: nothing was removed. */
  grantsError?: string;
  /** AWS calls by operation (a removal counts one; its status polls are not counted). */
  calls: { listAccountsForProvisionedPermissionSet: number; listAccountAssignments: number; delete: number };
}

export interface IcReconcileOptions {
  /** The grants that may explain an assignment; called once, after every listing. */
  grants: () => Promise<readonly ExplainingGrant[]>;
  poll?: PollOptions;
}

export async function removeUnexplainedAssignments(
  ctx: CoreContext,
  who: Actor,
  opts: IcReconcileOptions,
): Promise<IcReconcileSummary> {
  const sets = elevationOnlySets(ctx.config, ctx.clients.managed());
  const summary: IcReconcileSummary = {
    permissionSets: sets.length,
    accountsRead: 0,
    assignments: 0,
    explained: 0,
    removed: [],
    failed: [],
    calls: { listAccountsForProvisionedPermissionSet: 0, listAccountAssignments: 0, delete: 0 },
  };
  if (sets.length === 0) return summary;
  const ic = identityCenter(ctx);
  const { instanceArn } = await ic.instance();
  const sso = ic.ssoAdmin();
  const limit = pLimit(Math.max(1, ctx.config.inactivity.concurrency));

  const provisioned = async (set: ElevationOnlySet): Promise<string[]> => {
    const out: string[] = [];
    try {
      for await (const page of paginateListAccountsForProvisionedPermissionSet(
        { client: sso },
        { InstanceArn: instanceArn, PermissionSetArn: set.arn },
      )) {
        summary.calls.listAccountsForProvisionedPermissionSet++;
        out.push(...(page.AccountIds ?? []));
      }
    } catch (err) {
      summary.failed.push({
        permissionSet: set.name,
        step: 'provisioned-accounts',
        error: errorMessage(err),
      });
    }
    return out;
  };
  const pairs = (
    await Promise.all(
      sets.map((set) =>
        limit(async () => {
          const accounts = new Set([...set.accounts, ...(await provisioned(set))]);
          return [...accounts].map((account) => ({ set, account }));
        }),
      ),
    )
  ).flat();

  const listed: RemovedAssignment[] = [];
  await Promise.all(
    pairs.map(({ set, account }) =>
      limit(async () => {
        try {
          const found: RemovedAssignment[] = [];
          for await (const page of paginateListAccountAssignments(
            { client: sso },
            { InstanceArn: instanceArn, AccountId: account, PermissionSetArn: set.arn },
          )) {
            summary.calls.listAccountAssignments++;
            for (const r of page.AccountAssignments ?? []) {
              if (!r.PrincipalId || (r.PrincipalType !== 'USER' && r.PrincipalType !== 'GROUP')) continue;
              found.push({
                permissionSet: set.name,
                account,
                permissionSetArn: set.arn,
                principalType: r.PrincipalType,
                principalId: r.PrincipalId,
              });
            }
          }
          listed.push(...found);
          summary.accountsRead++;
        } catch (err) {
          summary.failed.push({ permissionSet: set.name, account, step: 'list', error: errorMessage(err) });
          ctx.logger.warn(
            { permissionSet: set.name, account, err: errorMessage(err) },
            'identity-center reconcile: could not list the assignments',
          );
        }
      }),
    ),
  );
  summary.assignments = listed.length;
  if (listed.length === 0) return summary;

  let grants: readonly ExplainingGrant[];
  try {
    grants = await opts.grants();
  } catch (err) {
    summary.grantsError = errorMessage(err);
    return summary;
  }
  const remove = listed.filter((a) => !isExplained(a, grants));
  summary.explained = listed.length - remove.length;

  await Promise.all(
    remove.map((a) =>
      limit(async () => {
        const { permissionSet, ...assignment } = a;
        try {
          await audited(
            ctx,
            who,
            { action: IC_RECONCILE_ACTION, account: a.account, target: a.principalId },
            async (trail) => {
              const details = {
                permissionSet,
                permissionSetArn: a.permissionSetArn,
                principalType: a.principalType,
                principalId: a.principalId,
                reason: IC_RECONCILE_REASON,
              };
              summary.calls.delete++;
              try {
                await deleteAssignment(ctx, assignment, opts.poll);
              } catch (err) {
                await trail.fail(err, { details });
                throw err;
              }
              return { result: undefined, details };
            },
          );
          summary.removed.push(a);
        } catch (err) {
          summary.failed.push({
            permissionSet,
            account: a.account,
            principalType: a.principalType,
            principalId: a.principalId,
            step: 'remove',
            error: errorMessage(err),
          });
          ctx.logger.error(
            { ...a, err: errorMessage(err) },
            'identity-center reconcile: could not remove the assignment; retrying next run',
          );
        }
      }),
    ),
  );
  return summary;
}
