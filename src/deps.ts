import type { WebClient } from '@slack/web-api';
import type { Config } from './config.js';
import type { Clock } from './core/clock.js';
import type { Actor, CoreContext } from './core/context.js';
import type { Logger } from './logger.js';
import type { Store } from './store/types.js';

/**
 * What the bot's listeners and jobs receive. Listeners reach AWS only through `ops` (core/ operations bound
 * to a CoreContext), never the SDK; tests and the benchmark swap `ops` for a slow or failing stub.
 */
export interface CreateUserInput {
  username: string;
  email: string;
  department?: string;
  manager?: string;
  costCenter?: string;
  slackUserId?: string;
  account?: string;
  template: string;
  extraGroups?: string[];
  console?: boolean;
}

export interface CreateUserResult {
  status: 'created' | 'unchanged' | 'dry-run';
  account: string;
  username: string;
  arn?: string;
  groups: string[];
  managedPolicies: string[];
  inlinePolicies: string[];
  /** Only ever handed to the owner's DM; never logged, stored or audited. */
  password?: string;
}

export interface UserSnapshot {
  tags: Record<string, string>;
  groups: string[];
  accessKeys: { id: string; status: string; createdAt?: string | Date }[];
  mfaDevices: unknown[];
  hasLoginProfile: boolean;
}

export interface IamUserRef {
  account: string;
  accountName: string;
  username: string;
  arn?: string;
}

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
}
