import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { AccountConfig } from '../../config.js';
import { AccountFailedError, NotFoundError } from '../../errors.js';
import { type Clock, systemClock } from '../clock.js';
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
}

export const DEFAULT_MAX_ATTEMPTS = 8;
/** The account id/name that always means the bot's own credentials. */
export const HOME = 'home';

export function sessionName(actor: string): string {
  const cleaned = actor.replace(/[^\w+=,.@-]/g, '-');
  return `aws-user-${cleaned}`.slice(0, 64);
}

interface CachedCreds {
  creds: AwsCredentialIdentity;
  expiresAt: number;
}

export class AccountClients {
  readonly accounts: readonly AccountConfig[];
  private readonly opts: ClientFactoryOptions;
  private readonly clock: Clock;
  private readonly iamClients = new Map<string, IAMClient>();
  private readonly credCache = new Map<string, CachedCreds>();
  private readonly inflight = new Map<string, Promise<AwsCredentialIdentity>>();
  private readonly stsClients = new Map<string, STSClient>();
  private readonly limiters = new Map<string, RateLimiter>();
  /** Counts AssumeRole calls, for tests and benchmarks. */
  assumeRoleCalls = 0;

  constructor(accounts: readonly AccountConfig[], opts: ClientFactoryOptions = {}) {
    this.accounts = accounts;
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
  }

  account(id: string): AccountConfig {
    const a = this.accounts.find((x) => x.id === id || x.name === id);
    if (!a) {
      const known = this.accounts.map((x) => `${x.name} (${x.id})`).join(', ') || 'none configured';
      throw new NotFoundError(`account: unknown account "${id}"; known accounts: ${known}`);
    }
    return a;
  }

  /** STS in `region` (default: the configured one); one client per region, reused. */
  sts(region?: string): STSClient {
    const r = region ?? this.opts.region ?? 'us-east-1';
    let client = this.stsClients.get(r);
    if (!client) {
      client = new STSClient({
        region: r,
        endpoint: this.opts.endpoint,
        credentials: this.opts.credentials,
        retryMode: 'adaptive',
        maxAttempts: this.opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      });
      this.stsClients.set(r, client);
    }
    return client;
  }

  /**
   * An IAM client for `accountId` (id or name), or the home account's default credentials when omitted or
   * when the account has no role_arn. Clients are cached per account and actor.
   */
  iam(accountId?: string, actor = 'bot'): IAMClient {
    // 'home' names the bot's own account explicitly (the Slack side records it when no accounts are configured).
    const account = accountId && accountId !== HOME ? this.account(accountId) : undefined;
    const key = account?.role_arn ? `${account.id}|${actor}` : 'home';
    let client = this.iamClients.get(key);
    if (!client) {
      const credentials = account?.role_arn
        ? () => this.assumedCredentials(account, actor)
        : this.opts.credentials;
      client = new IAMClient({
        region: account?.region ?? this.opts.region ?? 'us-east-1',
        endpoint: this.opts.endpoint,
        credentials,
        retryMode: this.opts.retryMode ?? 'adaptive',
        maxAttempts: this.opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      });
      const limiter = this.limiterFor(account?.id ?? 'home');
      if (limiter) applyRateLimit(client, limiter);
      this.iamClients.set(key, client);
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
    this.stsClients.clear();
    this.iamClients.clear();
  }
}
