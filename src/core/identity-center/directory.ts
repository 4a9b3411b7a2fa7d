import {
  GetGroupIdCommand,
  GetUserIdCommand,
  type IdentitystoreClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-identitystore';
import { ListInstancesCommand, type SSOAdminClient } from '@aws-sdk/client-sso-admin';
import type { Config } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { AccountClients } from '../aws/accounts.js';

/** The Identity Center instance the bot works in, as config names it or sso-admin:ListInstances finds it. */
export interface IdentityCenterInstance {
  instanceArn: string;
  identityStoreId: string;
  region: string;
}

/**
 * The bot's view of IAM Identity Center: the instance (looked up once), and users and groups by the names
 * people know them by. One per core context (`identityCenter(ctx)` in core/context.ts), so the instance is
 * asked of AWS once per process, never per request.
 */
export class IdentityCenterDirectory {
  private instancePromise: Promise<IdentityCenterInstance> | undefined;

  constructor(
    private readonly config: Pick<Config, 'identity_center' | 'source'>,
    private readonly clients: AccountClients,
  ) {}

  get configured(): boolean {
    return this.config.identity_center !== undefined;
  }

  private get region(): string {
    const ic = this.config.identity_center;
    if (!ic) throw new ConfigError(this.config.source, ['identity_center: not configured']);
    return ic.region;
  }

  ssoAdmin(): SSOAdminClient {
    return this.clients.ssoAdmin(this.region);
  }

  identityStore(): IdentitystoreClient {
    return this.clients.identityStore(this.region);
  }

  /** The configured instance, else the one ListInstances returns; a failed lookup is retried next time. */
  instance(): Promise<IdentityCenterInstance> {
    if (!this.instancePromise) {
      this.instancePromise = this.lookupInstance();
      this.instancePromise.catch(() => {
        this.instancePromise = undefined;
      });
    }
    return this.instancePromise;
  }

  private async lookupInstance(): Promise<IdentityCenterInstance> {
    const ic = this.config.identity_center;
    const region = this.region;
    if (ic?.instance_arn && ic.identity_store_id)
      return { instanceArn: ic.instance_arn, identityStoreId: ic.identity_store_id, region };
    const out = await this.ssoAdmin().send(new ListInstancesCommand({}));
    const all = out.Instances ?? [];
    const found = ic?.instance_arn ? all.find((i) => i.InstanceArn === ic.instance_arn) : all[0];
    if (!found?.InstanceArn || !found.IdentityStoreId) {
      throw new ConfigError(this.config.source, [
        ic?.instance_arn
          ? `identity_center.instance_arn: ${ic.instance_arn} is not among sso-admin:ListInstances in ${region}`
          : `identity_center: sso-admin:ListInstances in ${region} found no instance; set identity_center.region or instance_arn and identity_store_id`,
      ]);
    }
    if (!ic?.instance_arn && all.length > 1) {
      throw new ConfigError(this.config.source, [
        `identity_center.instance_arn: ${all.length} instances in ${region}; name one (${all.map((i) => i.InstanceArn).join(', ')})`,
      ]);
    }
    return {
      instanceArn: found.InstanceArn,
      identityStoreId: ic?.identity_store_id ?? found.IdentityStoreId,
      region,
    };
  }

  /** The Identity Store user id for an email (`emails.value`), else for a UserName; undefined when neither. */
  async userId(by: {
    email?: string | undefined;
    userName?: string | undefined;
  }): Promise<string | undefined> {
    const tries: [string, string][] = [];
    if (by.email) tries.push(['emails.value', by.email]);
    if (by.userName) tries.push(['userName', by.userName]);
    for (const [path, value] of tries) {
      const id = await this.uniqueId('user', path, value);
      if (id) return id;
    }
    return undefined;
  }

  /** The Identity Store group id for a group's display name; undefined when there is none. */
  groupId(displayName: string): Promise<string | undefined> {
    return this.uniqueId('group', 'displayName', displayName);
  }

  private async uniqueId(kind: 'user' | 'group', path: string, value: string): Promise<string | undefined> {
    const { identityStoreId } = await this.instance();
    const AlternateIdentifier = { UniqueAttribute: { AttributePath: path, AttributeValue: value } };
    try {
      if (kind === 'user') {
        const out = await this.identityStore().send(
          new GetUserIdCommand({ IdentityStoreId: identityStoreId, AlternateIdentifier }),
        );
        return out.UserId;
      }
      const out = await this.identityStore().send(
        new GetGroupIdCommand({ IdentityStoreId: identityStoreId, AlternateIdentifier }),
      );
      return out.GroupId;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  }
}

/** The context's Identity Center directory, made on first use so the instance lookup is shared. */
export function identityCenter(ctx: {
  config: Pick<Config, 'identity_center' | 'source'>;
  clients: AccountClients;
  identityCenter?: IdentityCenterDirectory;
}): IdentityCenterDirectory {
  ctx.identityCenter ??= new IdentityCenterDirectory(ctx.config, ctx.clients);
  return ctx.identityCenter;
}
