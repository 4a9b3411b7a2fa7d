import { appendFileSync } from 'node:fs';
import {
  GetLoginProfileCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { AccountClients } from '../../src/core/aws/accounts.js';
import type { PendingRequest } from '../../src/store/types.js';
import { APPROVE_ACTION } from '../../src/views/approval.js';
import { createValues, requestIdFrom, submitCreate, type TestBot, USERS } from '../helpers/bot.js';
import type { FakeSlack } from '../helpers/fake-slack.js';
import type { AppliedCall, FaultProxy } from '../helpers/fault-proxy.js';
import { MOTO_ACCOUNT, type Moto, TEST_CREDENTIALS } from '../helpers/moto.js';
import { buttonClick, sendInteraction } from '../helpers/slack-requests.js';

/**
 * What the fault suite shares: moto seen through the fault proxy, an inventory of everything in IAM, the
 * AWS rule moto does not enforce (DeleteUser needs the user emptied first), and the figures each scenario
 * records for `npm run faults`.
 */

/** The same moto, but every bot call goes through the proxy (checks and set-up still talk to moto directly). */
export function throughProxy(moto: Moto, proxy: FaultProxy): Moto {
  return {
    ...moto,
    clients: (accounts = [], opts = {}) =>
      new AccountClients(accounts, {
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        credentials: TEST_CREDENTIALS,
        maxAttempts: 3,
        homeAccountId: opts.homeAccountId ?? MOTO_ACCOUNT,
        ...(opts.clock ? { clock: opts.clock } : {}),
      }),
  };
}

/** Everything IAM holds for its users, one string per entity: "alice", "alice group:Developers", … */
export async function inventory(iam: IAMClient): Promise<Set<string>> {
  const out = new Set<string>();
  const users = (await iam.send(new ListUsersCommand({}))).Users ?? [];
  for (const u of users) {
    const UserName = u.UserName ?? '';
    out.add(UserName);
    const [groups, attached, inline, keys, tags] = await Promise.all([
      iam.send(new ListGroupsForUserCommand({ UserName })),
      iam.send(new ListAttachedUserPoliciesCommand({ UserName })),
      iam.send(new ListUserPoliciesCommand({ UserName })),
      iam.send(new ListAccessKeysCommand({ UserName })),
      iam.send(new ListUserTagsCommand({ UserName })),
    ]);
    for (const g of groups.Groups ?? []) out.add(`${UserName} group:${g.GroupName}`);
    for (const p of attached.AttachedPolicies ?? []) out.add(`${UserName} policy:${p.PolicyArn}`);
    for (const n of inline.PolicyNames ?? []) out.add(`${UserName} inline:${n}`);
    for (const k of keys.AccessKeyMetadata ?? []) out.add(`${UserName} key:${k.AccessKeyId}`);
    for (const t of tags.Tags ?? [])
      if (t.Key?.startsWith('aws-user:grant:')) out.add(`${UserName} tag:${t.Key}`);
    try {
      await iam.send(new GetLoginProfileCommand({ UserName }));
      out.add(`${UserName} login-profile`);
    } catch (err) {
      if (!(err instanceof NoSuchEntityException)) throw err;
    }
  }
  return out;
}

/** What a `developer` user made by the bot holds (config.example.yml). */
export function developer(name: string): string[] {
  return [
    name,
    `${name} group:Developers`,
    `${name} group:ReadOnly`,
    `${name} policy:arn:aws:iam::aws:policy/AmazonEC2FullAccess`,
    `${name} policy:arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess`,
    `${name} inline:DenyIAMUserAdmin`,
    `${name} login-profile`,
  ];
}

/** The inventory entries of one user. */
export function ownedBy(user: string, held: Iterable<string>): string[] {
  return [...held].filter((x) => x === user || x.startsWith(`${user} `));
}

export function difference(a: Iterable<string>, b: Iterable<string>): string[] {
  const bs = new Set(b);
  return [...a].filter((x) => !bs.has(x));
}

const ATTACHMENT: Record<string, [string, (p: Record<string, string>) => string]> = {
  CreateLoginProfile: ['DeleteLoginProfile', () => 'login-profile'],
  AddUserToGroup: ['RemoveUserFromGroup', (p) => `group:${p.GroupName}`],
  AttachUserPolicy: ['DetachUserPolicy', (p) => `policy:${p.PolicyArn}`],
  PutUserPolicy: ['DeleteUserPolicy', (p) => `inline:${p.PolicyName}`],
  CreateAccessKey: ['DeleteAccessKey', () => 'key'],
};
const DETACH = new Map(Object.entries(ATTACHMENT).map(([, [remove, name]]) => [remove, name]));

/**
 * moto deletes a user that still has a login profile, keys or groups; AWS answers DeleteConflict and the
 * user stays. Replays the calls that took effect with AWS's rule and returns what AWS would have left
 * behind: every DeleteUser moto accepted while the user still held something.
 */
export function awsDeleteConflicts(applied: readonly AppliedCall[]): string[] {
  const held = new Map<string, Set<string>>();
  const left: string[] = [];
  for (const { action, params } of applied) {
    const user = params.UserName ?? '';
    if (!user) continue;
    const bag = held.get(user) ?? new Set<string>();
    held.set(user, bag);
    const add = ATTACHMENT[action];
    if (add) bag.add(add[1](params));
    const remove = DETACH.get(action);
    if (remove) bag.delete(remove(params));
    if (action === 'DeleteUser') {
      for (const thing of bag) left.push(`${user} ${thing}`);
      held.delete(user);
    }
  }
  return left;
}

export const TERMINAL = new Set<PendingRequest['status']>(['done', 'failed', 'denied', 'expired']);

/** The DM channel the fake Slack opens for a user. */
export const dmOf = (user: string) => `D${user}`;

export function dmsTo(fake: FakeSlack, user: string): string[] {
  return fake
    .callsTo('chat.postMessage')
    .filter((c) => c.body.channel === dmOf(user))
    .map((c) => String(c.body.text ?? ''));
}

/** The approval message's last text (chat.update of the message the bot posted to the approvals channel). */
export function lastApprovalUpdate(fake: FakeSlack): string {
  const updates = fake.callsTo('chat.update').filter((c) => c.body.channel === 'C0APPROVALS');
  const last = updates.at(-1);
  const text = last ? `${String(last.body.text ?? '')} ${JSON.stringify(last.body.blocks ?? '')}` : '';
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export type FigureKind =
  | 'throttle'
  | 'http500'
  | 'http503'
  | 'unmodifiable'
  | 'reset-before'
  | 'reset-after'
  | 'redis-restart'
  | 'slack-429'
  | 'slack-5xx';

export interface Figure {
  kind: FigureKind;
  scenario: string;
  injected: number;
  /** 1 when the run ended in a clear state, told to the user, with IAM and the store agreeing. */
  survived: number;
  /** 1 when the request still did what was asked (the rest failed cleanly). */
  completed: number;
  orphans: number;
  approvalsLost: number;
  grantsLost: number;
}

/** Appends one scenario's figures to $FAULTS_FIGURES (JSON lines) when `npm run faults` asked for them. */
export function record(f: Figure): void {
  const file = process.env.FAULTS_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify(f)}\n`);
}

/** How many times each scenario runs: 1 in `npm test`; `npm run faults -- --repeat N` asks for more. */
export const REPEAT = Math.max(1, Number(process.env.FAULTS_REPEAT ?? 1) || 1);

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface CreateRun {
  id: string;
  final: PendingRequest;
  /** IAM entities of the user that no outcome claims, plus what AWS would have refused to delete. */
  orphans: string[];
  /** What the outcome claims that IAM does not hold. */
  missing: string[];
  /** The requester's DMs about the request after filing (the outcome). */
  toRequester: string[];
  /** DMs to the owner (the password). */
  toOwner: string[];
  approval: string;
}

/**
 * Files a `developer` create for `user` as the requester, runs `arm` (inject faults), approves it, waits
 * until the request is terminal and the requester is told, then takes the inventory.
 */
export async function approveCreate(o: {
  bot: TestBot;
  fake: FakeSlack;
  moto: Moto;
  proxy?: FaultProxy;
  user: string;
  arm?: () => void | Promise<void>;
  settle?: (id: string) => Promise<PendingRequest>;
}): Promise<CreateRun> {
  const { bot, fake } = o;
  await submitCreate(bot, createValues({ username: o.user }));
  const msg = await fake.waitForCall(
    'chat.postMessage',
    (c) => c.body.channel === 'C0APPROVALS' && JSON.stringify(c.body).includes(o.user),
  );
  const id = requestIdFrom(msg);
  await o.arm?.();
  await sendInteraction(bot.url, buttonClick({ user: USERS.approver, actionId: APPROVE_ACTION, value: id }));
  const outcome = (d: string) => d.includes(id) && !d.includes('waiting for approval');
  const final = await (o.settle ?? ((rid: string) => terminal(bot, rid)))(id);
  await fake.waitFor(() => dmsTo(fake, USERS.requester).some(outcome), 15_000, 'the requester told');
  const held = ownedBy(o.user, await inventory(o.moto.iam()));
  const claimed = final.status === 'done' ? developer(o.user) : [];
  return {
    id,
    final,
    orphans: [...difference(held, claimed), ...(o.proxy ? awsDeleteConflicts(o.proxy.applied) : [])],
    missing: difference(claimed, held),
    toRequester: dmsTo(fake, USERS.requester).filter(outcome),
    toOwner: dmsTo(fake, USERS.alice),
    approval: lastApprovalUpdate(fake),
  };
}

export function terminal(bot: TestBot, id: string, timeoutMs = 20_000): Promise<PendingRequest> {
  return until(
    'a terminal request',
    async () => {
      // The store may be down on purpose (the Redis scenarios): keep asking.
      const r = await bot.store.getRequest(id).catch(() => undefined);
      return r && TERMINAL.has(r.status) ? r : undefined;
    },
    timeoutMs,
  );
}
