import {
  type Account,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import type { AccountConfig, FileConfig } from '../../config.js';
import { AccountFailedError, errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Clock } from '../clock.js';
import { collect } from './paging.js';

/**
 * AWS Organizations discovery: the accounts the bot manages without a list. It runs in the home account (the
 * management account or a delegated administrator) with the bot's own credentials, and reaches each member
 * account as `role/<role_name>` with the organization's external id.
 */
export type OrganizationConfig = NonNullable<FileConfig['organization']>;

export type AccountSource = 'config' | 'organization';

/** ListAccounts' page size cap (AWS: 1-20). */
const PAGE = 20;

/** `State` is the field AWS keeps; `Status` is retired in September 2026 but is all older answers carry. */
function isActive(a: Account): boolean {
  return (a.State ?? a.Status) === 'ACTIVE';
}

/** The partition of an Organizations account ARN (arn:aws-us-gov:organizations::…), so GovCloud roles are right. */
function partitionOf(a: Account): string {
  return /^arn:(aws[\w-]*):/.exec(a.Arn ?? '')?.[1] ?? 'aws';
}

/**
 * Every account under `parent`, its child OUs included: "include this OU" means its subtree, as an operator
 * who moves an account into a nested OU expects it to stay managed.
 */
async function accountsUnder(
  client: OrganizationsClient,
  parent: string,
  pageSize: number,
): Promise<Account[]> {
  const own = await collect(
    paginateListAccountsForParent({ client, pageSize }, { ParentId: parent }),
    (p) => p.Accounts,
  );
  const ous = await collect(
    paginateListOrganizationalUnitsForParent({ client, pageSize }, { ParentId: parent }),
    (p) => p.OrganizationalUnits,
  );
  const nested: Account[] = [];
  for (const ou of ous) if (ou.Id) nested.push(...(await accountsUnder(client, ou.Id, pageSize)));
  return [...own, ...nested];
}

/**
 * The organization's ACTIVE accounts (of `include_ous` and their subtrees when set), minus
 * `exclude_accounts`, each as the AccountConfig the bot reaches it by. The home account keeps no role: the
 * bot's own credentials are already there. Sorted by name, then id, so pickers and reports are stable.
 */
export async function discoverAccounts(
  client: OrganizationsClient,
  org: OrganizationConfig,
  homeAccountId: string,
  pageSize = PAGE,
): Promise<AccountConfig[]> {
  let raw: Account[];
  try {
    raw =
      org.include_ous.length === 0
        ? await collect(paginateListAccounts({ client, pageSize }, {}), (p) => p.Accounts)
        : (await Promise.all(org.include_ous.map((ou) => accountsUnder(client, ou, pageSize)))).flat();
  } catch (err) {
    throw new AccountFailedError(
      homeAccountId,
      `organization discovery failed (${(err as { name?: string }).name ?? 'Error'}: ${errorMessage(err)}); the home account must be the management account or a delegated administrator, and its role needs deploy/policies/discover-organization.json`,
      { cause: err },
    );
  }
  const excluded = new Set(org.exclude_accounts);
  const byId = new Map<string, AccountConfig>();
  for (const a of raw) {
    if (!a.Id || !isActive(a) || excluded.has(a.Id) || byId.has(a.Id)) continue;
    byId.set(a.Id, {
      id: a.Id,
      name: a.Name || a.Id,
      region: org.region,
      ...(a.Id === homeAccountId
        ? {}
        : {
            role_arn: `arn:${partitionOf(a)}:iam::${a.Id}:role/${org.role_name}`,
            ...(org.external_id ? { external_id: org.external_id } : {}),
          }),
    });
  }
  return [...byId.values()].sort((x, y) => x.name.localeCompare(y.name) || x.id.localeCompare(y.id));
}

export interface MergedAccount {
  account: AccountConfig;
  source: AccountSource;
}

/**
 * The managed list: every static `accounts` entry as written (it overrides a discovered account with the same
 * id: name, role, region, external id), in config order, then the discovered accounts no entry overrides.
 */
export function mergeAccounts(
  configured: readonly AccountConfig[],
  discovered: readonly AccountConfig[],
): MergedAccount[] {
  const ids = new Set(configured.map((a) => a.id));
  return [
    ...configured.map((account) => ({ account, source: 'config' as const })),
    ...discovered
      .filter((a) => !ids.has(a.id))
      .map((account) => ({ account, source: 'organization' as const })),
  ];
}

/** What AccountClients needs to take a discovered list; a seam so the refresher is tested without AWS. */
export interface DiscoveryTarget {
  readonly home: AccountConfig;
  organizations(region: string): OrganizationsClient;
  setDiscovered(accounts: readonly AccountConfig[], at: Date): void;
}

/** One discovery, applied: the managed list becomes the static accounts merged with what it found. */
export async function refreshOrganization(
  clients: DiscoveryTarget,
  org: OrganizationConfig,
  clock: Clock,
): Promise<number> {
  const found = await discoverAccounts(clients.organizations(org.region), org, clients.home.id);
  clients.setDiscovered(found, clock.now());
  return found.length;
}

export interface DiscoveryTimer {
  /** Resolves after the first attempt (success or not). */
  first: Promise<void>;
  stop(): void;
}

/** After a failure, retry this soon (doubling per failure), never later than refresh_minutes. */
const RETRY_MS = 60_000;

/**
 * Discovery now and every `refresh_minutes`, on this replica. Not a job: the job host runs a job on one
 * replica per tick (a store lease), but each replica serves modals, scans and sweeps from its own list, so
 * each must refresh its own. A failure keeps the last list (at start: the static accounts), is logged, and is
 * retried sooner than the next refresh.
 */
export function startDiscovery(
  clients: DiscoveryTarget,
  org: OrganizationConfig,
  clock: Clock,
  logger: Logger,
  timers: { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout } = globalThis,
): DiscoveryTimer {
  const refreshMs = org.refresh_minutes * 60_000;
  let failures = 0;
  let stopped = false;
  let handle: ReturnType<typeof setTimeout> | undefined;
  const attempt = async () => {
    try {
      const n = await refreshOrganization(clients, org, clock);
      failures = 0;
      logger.info({ accounts: n }, 'organization accounts discovered');
    } catch (err) {
      failures++;
      logger.error(
        { err: errorMessage(err), failures },
        'organization discovery failed; keeping the previous account list',
      );
    }
    if (stopped) return;
    const delay = failures === 0 ? refreshMs : Math.min(refreshMs, RETRY_MS * 2 ** (failures - 1));
    handle = timers.setTimeout(() => void attempt(), delay);
    (handle as { unref?: () => void }).unref?.();
  };
  return {
    first: attempt(),
    stop() {
      stopped = true;
      if (handle) timers.clearTimeout(handle);
    },
  };
}
