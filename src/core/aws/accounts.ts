import { GetAccountPasswordPolicyCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { AccountConfig, FileConfig } from '../../config.js';
import { AccountFailedError, ConfigError, errorMessage, ValidationError } from '../../errors.js';
import { type Clock, systemClock } from '../clock.js';
import { type AccountSource, mergeAccounts } from './organization.js';
import { applyRateLimit, RateLimiter } from './rate-limit.js';

/**
 * IAM clients per account. The home account uses the SDK's default provider chain (env, profile, SSO,
 * instance/IRSA role); a member account with `role_arn` is reached through STS AssumeRole with its external
 * id and the session name `aws-user-<actor>`, so CloudTrail shows who asked. Assumed credentials are cached
 * until shortly before they expire. All clients use adaptive retry: IAM throttles per account.
 */
export interface ClientFactoryOptions {
  /** Any IAM/STS-compatible endpoint (moto, LocalStack); normally unset. */
  endpoint?: string | undefined;
  region?: string | undefined;
  /** Base credentials; default: the SDK's default chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  clock?: Clock;
  maxAttempts?: number;
  /** Refresh assumed credentials this long before they expire. */
  refreshBeforeMs?: number;
  durationSeconds?: number;
  /**
   * Client-side pacing of IAM requests per account (requests per second), shared by all actors' clients of
   * that account. Off by default; set it (config `iam.requests_per_second`) for bulk work near IAM's limits.
   */
  rateLimit?: { perSecond: number; burst?: number } | undefined;
  /** 'adaptive' unless a benchmark compares with the SDK's default ('standard'). */
  retryMode?: 'adaptive' | 'standard';
  /**
   * The account of the bot's own credentials, from resolveHomeAccountId; default: the first account
   * without role_arn.
   */
  homeAccountId?: string | undefined;
}

export const DEFAULT_MAX_ATTEMPTS = 8;
const DEFAULT_REGION = 'us-east-1';

function stsClient(opts: ClientFactoryOptions, region: string): STSClient {
  return new STSClient({
    region,
    endpoint: opts.endpoint,
    credentials: opts.credentials,
    retryMode: 'adaptive',
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  });
}

/**
 * The README's one rule for the home account: `home_account`, else the first account without role_arn, else
 * (no accounts, or every one assumed) the account the bot's own credentials belong to, asked of STS once.
 */
export async function resolveHomeAccountId(
  config: Pick<FileConfig, 'accounts' | 'home_account'>,
  opts: ClientFactoryOptions = {},
): Promise<string> {
  const configured = config.home_account ?? config.accounts.find((a) => !a.role_arn)?.id;
  if (configured) return configured;
  const sts = stsClient(opts, opts.region ?? DEFAULT_REGION);
  try {
    return (await callerIdentity(sts)).account;
  } finally {
    sts.destroy();
  }
}

/** sts:GetCallerIdentity of the bot's own credentials: where it runs (start-up) and whether AWS answers (/healthz). */
export async function callerIdentity(sts: STSClient): Promise<{ account: string; arn: string }> {
  const out = await sts.send(new GetCallerIdentityCommand({}));
  if (!out.Account) throw new Error('GetCallerIdentity returned no account');
  return { account: out.Account, arn: out.Arn ?? '' };
}

export function sessionName(actor: string): string {
  const cleaned = actor.replace(/[^\w+=,.@-]/g, '-');
  return `aws-user-${cleaned}`.slice(0, 64);
}

interface CachedCreds {
  creds: AwsCredentialIdentity;
  expiresAt: number;
}

export class AccountClients {
  /** The static `accounts` of the config, as written. */
  readonly configured: readonly AccountConfig[];
  /** The home account when neither the config nor the organization lists it. */
  private readonly unlistedHome: AccountConfig;
  /** The managed list: the static accounts merged with the last discovery (core/aws/organization.ts). */
  private current: readonly AccountConfig[];
  private sources = new Map<string, AccountSource>();
  /** What resolve() looks in: the managed accounts, and the home account when it is not among them. */
  private known: readonly AccountConfig[];
  /** When the discovered part was last replaced; undefined until the first discovery. */
  discoveredAt: Date | undefined;
  private readonly opts: ClientFactoryOptions;
  private readonly clock: Clock;
  private readonly iamClients = new Map<string, IAMClient>();
  private readonly credCache = new Map<string, CachedCreds>();
  private readonly inflight = new Map<string, Promise<AwsCredentialIdentity>>();
  private readonly stsClients = new Map<string, STSClient>();
  private readonly limiters = new Map<string, RateLimiter>();
  /** Home-account clients of other services (Organizations, Identity Center), one per service and region. */
  private readonly homeClients = new Map<string, { destroy(): void }>();
  /** Counts AssumeRole calls, for tests and benchmarks. */
  assumeRoleCalls = 0;

  constructor(accounts: readonly AccountConfig[], opts: ClientFactoryOptions = {}) {
    this.configured = accounts;
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    const homeId = opts.homeAccountId ?? accounts.find((a) => !a.role_arn)?.id;
    if (!homeId) {
      throw new ConfigError('config', [
        'home_account: cannot tell which account the bot runs in (every account has a role_arn); set home_account',
      ]);
    }
    this.unlistedHome = accounts.find((a) => a.id === homeId) ?? {
      id: homeId,
      name: 'home',
      region: opts.region ?? DEFAULT_REGION,
    };
    this.current = accounts;
    this.known = accounts;
    this.apply(mergeAccounts(accounts, []));
  }

  /**
   * The account of the bot's own credentials: its configured entry, else its discovered one, else one named
   * 'home'.
   */
  get home(): AccountConfig {
    return this.current.find((a) => a.id === this.unlistedHome.id) ?? this.unlistedHome;
  }

  /** The managed accounts now: the static ones merged with the last discovery. */
  get accounts(): readonly AccountConfig[] {
    return this.current;
  }

  /**
   * Replaces the discovered part of the managed list (a static entry with the same id still wins). Clients
   * and cached credentials of an account whose role, external id or region changed are dropped.
   */
  setDiscovered(discovered: readonly AccountConfig[], at: Date): void {
    const before = new Map(this.current.map((a) => [a.id, a]));
    this.apply(mergeAccounts(this.configured, discovered));
    this.discoveredAt = at;
    for (const a of this.current) {
      const was = before.get(a.id);
      if (
        was &&
        (was.role_arn !== a.role_arn || was.external_id !== a.external_id || was.region !== a.region)
      )
        this.forget(a.id);
    }
  }

  /** 'config' for a static entry (or the unlisted home account), 'organization' for a discovered one. */
  sourceOf(accountId: string): AccountSource {
    return this.sources.get(accountId) ?? 'config';
  }

  private apply(merged: readonly { account: AccountConfig; source: AccountSource }[]): void {
    this.current = merged.map((m) => m.account);
    this.sources = new Map(merged.map((m) => [m.account.id, m.source]));
    const listed = this.current.some((a) => a.id === this.unlistedHome.id);
    this.known = listed ? this.current : [...this.current, this.unlistedHome];
  }

  private forget(accountId: string): void {
    for (const [key, client] of this.iamClients)
      if (key === accountId || key.startsWith(`${accountId}|`)) {
        client.destroy();
        this.iamClients.delete(key);
      }
    for (const key of this.credCache.keys()) if (key.startsWith(`${accountId}|`)) this.credCache.delete(key);
  }

  /** The accounts the bot manages: the configured and discovered ones, else the home account alone. */
  managed(): readonly AccountConfig[] {
    return this.current.length > 0 ? this.current : [this.home];
  }

  /** The accounts named (ids or names), else every managed one; each account once. */
  select(wanted?: readonly string[]): AccountConfig[] {
    if (!wanted || wanted.length === 0) return [...this.managed()];
    const picked = new Map<string, AccountConfig>();
    for (const w of wanted) {
      const a = this.resolve(w.trim());
      picked.set(a.id, a);
    }
    return [...picked.values()];
  }

  /** An id or name of a managed account (the home account included) → the account. */
  resolve(idOrName: string): AccountConfig {
    const known = this.known;
    const a = known.find((x) => x.id === idOrName) ?? known.find((x) => x.name === idOrName);
    if (!a) {
      const shown = known.slice(0, 20).map((x) => `${x.name} (${x.id})`);
      if (known.length > 20) shown.push(`and ${known.length - 20} more`);
      throw new ValidationError(
        'account',
        `unknown account "${idOrName}"; known accounts: ${shown.join(', ')}`,
        this.sources.size > 0 && [...this.sources.values()].includes('organization')
          ? 'use an id or name from accounts[] in the config or from the organization (aws-user accounts)'
          : 'use an id or name from accounts[] in the config',
      );
    }
    return a;
  }

  /** STS in `region` (default: the configured one); one client per region, reused. */
  sts(region?: string): STSClient {
    const r = region ?? this.opts.region ?? DEFAULT_REGION;
    let client = this.stsClients.get(r);
    if (!client) {
      client = stsClient(this.opts, r);
      this.stsClients.set(r, client);
    }
    return client;
  }

  /**
   * An IAM client for the account: through AssumeRole when it has a role_arn, else with the bot's own
   * credentials. Clients are cached per account, and per actor where the session name carries the actor.
   */
  iam(accountId: string, actor = 'bot'): IAMClient {
    const account = this.resolve(accountId);
    const key = account.role_arn ? `${account.id}|${actor}` : account.id;
    let client = this.iamClients.get(key);
    if (!client) {
      const credentials = account.role_arn
        ? () => this.assumedCredentials(account, actor)
        : this.opts.credentials;
      client = new IAMClient({
        region: account.region,
        endpoint: this.opts.endpoint,
        credentials,
        retryMode: this.opts.retryMode ?? 'adaptive',
        maxAttempts: this.opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      });
      const limiter = this.limiterFor(account.id);
      if (limiter) applyRateLimit(client, limiter);
      this.iamClients.set(key, client);
    }
    return client;
  }

  /**
   * Organizations, sso-admin and identitystore run in the home account with the bot's own credentials: it is
   * the management account or a delegated administrator. One client per service and region, reused.
   */
  organizations(region: string): OrganizationsClient {
    return this.homeClient('organizations', region, (c) => new OrganizationsClient(c));
  }

  ssoAdmin(region: string): SSOAdminClient {
    return this.homeClient('sso-admin', region, (c) => new SSOAdminClient(c));
  }

  identityStore(region: string): IdentitystoreClient {
    return this.homeClient('identitystore', region, (c) => new IdentitystoreClient(c));
  }

  private homeClient<C extends { destroy(): void }>(
    service: string,
    region: string,
    make: (cfg: {
      region: string;
      endpoint: string | undefined;
      credentials: ClientFactoryOptions['credentials'];
      retryMode: 'adaptive' | 'standard';
      maxAttempts: number;
    }) => C,
  ): C {
    const key = `${service}|${region}`;
    let client = this.homeClients.get(key) as C | undefined;
    if (!client) {
      client = make({
        region,
        endpoint: this.opts.endpoint,
        credentials: this.opts.credentials,
        retryMode: this.opts.retryMode ?? 'adaptive',
        maxAttempts: this.opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      });
      this.homeClients.set(key, client);
    }
    return client;
  }

  /** The pacer shared by every IAM client of one account, when rate limiting is on. */
  limiterFor(accountId: string): RateLimiter | undefined {
    const rl = this.opts.rateLimit;
    if (!rl) return undefined;
    let l = this.limiters.get(accountId);
    if (!l) {
      l = new RateLimiter(rl.perSecond, rl.burst ?? 1);
      this.limiters.set(accountId, l);
    }
    return l;
  }

  /** Credentials for the member account, from cache while fresh; concurrent callers share one AssumeRole. */
  async assumedCredentials(account: AccountConfig, actor: string): Promise<AwsCredentialIdentity> {
    const key = `${account.id}|${actor}`;
    const cached = this.credCache.get(key);
    const refreshBefore = this.opts.refreshBeforeMs ?? 5 * 60_000;
    if (cached && cached.expiresAt - refreshBefore > this.clock.now().getTime()) return cached.creds;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = this.assume(account, actor).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async assume(account: AccountConfig, actor: string): Promise<AwsCredentialIdentity> {
    const key = `${account.id}|${actor}`;
    this.assumeRoleCalls++;
    try {
      const out = await this.sts(account.region).send(
        new AssumeRoleCommand({
          RoleArn: account.role_arn,
          RoleSessionName: sessionName(actor),
          ExternalId: account.external_id,
          DurationSeconds: this.opts.durationSeconds ?? 3600,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
      const expiresAt = c.Expiration?.getTime() ?? this.clock.now().getTime() + 15 * 60_000;
      const creds: AwsCredentialIdentity = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(expiresAt),
      };
      this.credCache.set(key, { creds, expiresAt });
      return creds;
    } catch (err) {
      const name = (err as { name?: string }).name ?? 'Error';
      throw new AccountFailedError(
        account.id,
        `cannot assume ${account.role_arn} (${name}: ${(err as Error).message}); check the role's trust policy and external id`,
        { cause: err },
      );
    }
  }

  destroy(): void {
    for (const c of this.iamClients.values()) c.destroy();
    for (const c of this.stsClients.values()) c.destroy();
    for (const c of this.homeClients.values()) c.destroy();
    this.homeClients.clear();
    this.stsClients.clear();
    this.iamClients.clear();
  }
}

export interface Reachability {
  ok: boolean;
  /** Why not: the AssumeRole or IAM error, as AWS worded it. */
  error?: string;
}

/**
 * Whether the bot can work in the account: AssumeRole (for a member) and one cheap IAM read the member
 * role allows (GetAccountPasswordPolicy; "no policy set" is an answer, so it counts as reached). Never throws.
 */
export async function checkReachable(clients: AccountClients, accountId: string): Promise<Reachability> {
  try {
    await clients.iam(accountId, 'check').send(new GetAccountPasswordPolicyCommand({}));
    return { ok: true };
  } catch (err) {
    if (err instanceof NoSuchEntityException) return { ok: true };
    const name = (err as { name?: string }).name;
    const text = errorMessage(err);
    return { ok: false, error: err instanceof AccountFailedError || !name ? text : `${name}: ${text}` };
  }
}
