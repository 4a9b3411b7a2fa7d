import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { WebClient } from '@slack/web-api';
import type { Config } from './config.js';
import type { Clock } from './core/clock.js';
import type { Actor, CoreContext } from './core/context.js';
import { findUsersByTag } from './core/directory.js';
import * as keys from './core/keys.js';
import * as mfa from './core/mfa.js';
import type { CreateUserInput, CreateUserResult, UserSnapshot } from './core/provisioning.js';
import * as provisioning from './core/provisioning.js';
import type { Logger } from './logger.js';
import type { Store } from './store/types.js';

/**
 * What the bot's listeners and jobs receive. Listeners reach AWS only through `ops` (core/ operations bound
 * to a CoreContext), never the SDK; tests and the benchmark swap `ops` for a slow or failing stub.
 */
export interface IamUserRef {
  account: string;
  accountName: string;
  username: string;
  arn?: string;
}

export type { CreateUserInput, CreateUserResult, UserSnapshot };

export interface CoreOps {
  validateCreate(input: CreateUserInput, who?: Actor): Promise<void>;
  createUser(input: CreateUserInput, who: Actor): Promise<CreateUserResult>;
  describeUser(account: string | undefined, username: string, who?: Actor): Promise<UserSnapshot>;
  offboardUser(
    input: { account?: string; username: string; removeAfterDays?: number },
    who: Actor,
  ): Promise<unknown>;
  sweepOffboarded(who: Actor): Promise<unknown>;
  createAccessKey(
    input: { account?: string; username: string },
    who: Actor,
  ): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  rotateAccessKey(
    input: { account?: string; username: string },
    who: Actor,
  ): Promise<{
    newKey?: { accessKeyId: string; secretAccessKey: string };
    oldKeyIds: string[];
    deactivateAt?: string | Date;
    deleteAt?: string | Date;
  }>;
  sweepKeyRotations(who: Actor): Promise<unknown>;
  startMfaEnrollment(
    input: { account?: string; username: string },
    who: Actor,
  ): Promise<{ serialNumber: string; otpauthUri: string; qrPng: Buffer }>;
  completeMfaEnrollment(
    input: { account?: string; username: string; serialNumber: string; code1: string; code2: string },
    who: Actor,
  ): Promise<void>;
  abandonMfaEnrollment(input: { account?: string; serialNumber: string }, who: Actor): Promise<void>;
  /** The IAM users, across every configured account, tagged SlackUserId=<slackUserId>. */
  usersOwnedBy(slackUserId: string): Promise<IamUserRef[]>;
  /** sts:GetCallerIdentity of the bot's own credentials, for /healthz. */
  identity(): Promise<{ account: string; arn: string }>;
}

export interface Deps {
  config: Config;
  core: CoreContext;
  ops: CoreOps;
  store: Store;
  clock: Clock;
  logger: Logger;
}

/** Jobs run outside a Slack request, so they get the app's WebClient explicitly. */
export interface JobDeps extends Deps {
  client: WebClient;
}

/** Deps plus what createApp builds around the app's own WebClient. */
export interface AppDeps extends Deps {
  roles: import('./handlers/lib/roles.js').Roles;
  followUps: import('./handlers/lib/reply.js').FollowUpGate;
}

/** Binds core/ to one context: the production `ops`. Each line is one hop, listener → core → AWS. */
export function coreOps(ctx: CoreContext): CoreOps {
  const accounts = (): (string | undefined)[] =>
    ctx.config.accounts.length > 0 ? ctx.config.accounts.map((a) => a.id) : [undefined];
  return {
    validateCreate: (input, who) => provisioning.validateCreate(ctx, input, who),
    createUser: (input, who) => provisioning.createUser(ctx, input, who),
    describeUser: (account, username, who) => provisioning.describeUser(ctx, account, username, who),
    offboardUser: (input, who) => provisioning.offboardUser(ctx, input, who),
    sweepOffboarded: (who) => provisioning.sweepOffboarded(ctx, {}, who),
    createAccessKey: (input, who) => keys.createAccessKey(ctx, input, who),
    rotateAccessKey: (input, who) => keys.rotateAccessKey(ctx, input, who),
    sweepKeyRotations: (who) => keys.sweepKeyRotations(ctx, {}, who),
    startMfaEnrollment: (input, who) => mfa.startMfaEnrollment(ctx, input, who),
    completeMfaEnrollment: (input, who) => mfa.completeMfaEnrollment(ctx, input, who),
    abandonMfaEnrollment: (input, who) => mfa.abandonMfaEnrollment(ctx, input, who),
    async usersOwnedBy(slackUserId) {
      const out: IamUserRef[] = [];
      for (const id of accounts()) {
        const users = await findUsersByTag(ctx.clients.iam(id), 'SlackUserId', slackUserId);
        const name = id ? ctx.clients.account(id).name : 'home';
        for (const u of users) {
          if (!u.UserName) continue;
          out.push({
            account: id ?? 'home',
            accountName: name,
            username: u.UserName,
            ...(u.Arn ? { arn: u.Arn } : {}),
          });
        }
      }
      return out;
    },
    async identity() {
      const out = await ctx.clients.sts().send(new GetCallerIdentityCommand({}));
      return { account: out.Account ?? '', arn: out.Arn ?? '' };
    },
  };
}
