import {
  CreateGroupCommand,
  CreateUserCommand,
  ListGroupsForUserCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, parseFileConfig } from '../../src/config.js';
import { Auditor, MemoryAuditSink } from '../../src/core/audit.js';
import { fixedClock } from '../../src/core/clock.js';
import type { CoreContext } from '../../src/core/context.js';
import {
  applyGrant,
  GRANT_TAG_PREFIX,
  grantId,
  revokeGrant,
  validateGrantRequest,
} from '../../src/core/grants.js';
import { ConflictError, ValidationError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';

let moto: Moto;
let ctx: CoreContext;
const sink = new MemoryAuditSink();
const who = { actor: 'U0ADMIN', requestId: 'r-1' };

const config = {
  ...parseFileConfig(
    {
      accounts: [{ id: MOTO_ACCOUNT, name: 'home' }],
      templates: {
        developer: { groups: ['Developers'], grantable: { groups: ['ProdDebug'], managed_policies: [] } },
        readonly: { groups: ['ReadOnly'], break_glass: true, grantable: { groups: ['ProdDebug'] } },
      },
      grants: { max_duration_hours: 8 },
      break_glass: { max_duration_minutes: 60, per_user_per_day: 2 },
    },
    'test',
  ),
  source: 'test',
} as Config;

beforeAll(async () => {
  moto = await startMoto();
  const clock = fixedClock(new Date('2026-01-01T00:00:00Z'));
  ctx = {
    config,
    clients: moto.clients(config.accounts, { clock }),
    auditor: new Auditor(sink, clock, silentLogger()),
    clock,
    logger: silentLogger(),
  };
  const iam = moto.iam();
  for (const g of ['Developers', 'ProdDebug']) await iam.send(new CreateGroupCommand({ GroupName: g }));
  await iam.send(new CreateUserCommand({ UserName: 'jane' }));
});
afterAll(async () => {
  await moto?.stop();
});

const spec = { account: MOTO_ACCOUNT, username: 'jane', kind: 'group' as const, target: 'ProdDebug' };

async function groupsOf(user: string) {
  const r = await moto.iam().send(new ListGroupsForUserCommand({ UserName: user }));
  return (r.Groups ?? []).map((g) => g.GroupName);
}
async function tagsOf(user: string) {
  const r = await moto.iam().send(new ListUserTagsCommand({ UserName: user }));
  return Object.fromEntries((r.Tags ?? []).map((t) => [t.Key, t.Value]));
}

describe('time-bound grants in IAM', () => {
  it('adds the group and tags the expiry; a second, shorter grant merges and keeps the later expiry', async () => {
    const first = await applyGrant(
      ctx,
      { ...spec, expiresAt: '2026-01-01T02:00:00.000Z', breakGlass: false },
      who,
    );
    expect(first.extended).toBe(false);
    expect(await groupsOf('jane')).toEqual(['ProdDebug']);
    const tagKey = `${GRANT_TAG_PREFIX}${grantId(spec)}`;
    // What was granted travels with the expiry, so IAM alone is enough to revoke it (core/reconcile.ts).
    expect((await tagsOf('jane'))[tagKey]).toBe('2026-01-01T02:00:00.000Z group:ProdDebug');

    const again = await applyGrant(
      ctx,
      { ...spec, expiresAt: '2026-01-01T01:00:00.000Z', breakGlass: false },
      who,
    );
    expect(again.extended).toBe(true);
    expect(await groupsOf('jane')).toEqual(['ProdDebug']);
    expect((await tagsOf('jane'))[tagKey]).toBe('2026-01-01T02:00:00.000Z group:ProdDebug');

    await revokeGrant(ctx, spec, who, 'expired');
    expect(await groupsOf('jane')).toEqual([]);
    expect((await tagsOf('jane'))[tagKey]).toBeUndefined();
    // Idempotent: revoking again is fine.
    await revokeGrant(ctx, spec, who, 'expired');
    expect(sink.events.map((e) => e.action)).toEqual([
      'grant.apply',
      'grant.extend',
      'grant.revoke',
      'grant.revoke',
    ]);
  });

  it('reads a tag written before the target was recorded (expiry only) and rewrites it in the new format', async () => {
    const { TagUserCommand } = await import('@aws-sdk/client-iam');
    await moto.iam().send(new CreateUserCommand({ UserName: 'legacy' }));
    const legacy = { ...spec, username: 'legacy' };
    const tagKey = `${GRANT_TAG_PREFIX}${grantId(legacy)}`;
    await applyGrant(ctx, { ...legacy, expiresAt: '2026-01-01T01:00:00.000Z', breakGlass: false }, who);
    await moto.iam().send(
      new TagUserCommand({
        UserName: 'legacy',
        Tags: [{ Key: tagKey, Value: '2026-01-01T03:00:00.000Z' }],
      }),
    );
    const r = await applyGrant(
      ctx,
      { ...legacy, expiresAt: '2026-01-01T02:00:00.000Z', breakGlass: false },
      who,
    );
    expect(r.extended).toBe(true);
    expect((await tagsOf('legacy'))[tagKey]).toBe('2026-01-01T03:00:00.000Z group:ProdDebug');
  });

  it('refuses to grant what the user already holds permanently, so a revoke never removes standing access', async () => {
    await moto.iam().send(new CreateUserCommand({ UserName: 'dev' }));
    const { AddUserToGroupCommand } = await import('@aws-sdk/client-iam');
    await moto.iam().send(new AddUserToGroupCommand({ UserName: 'dev', GroupName: 'ProdDebug' }));
    await expect(
      applyGrant(
        ctx,
        { ...spec, username: 'dev', expiresAt: '2026-01-01T02:00:00.000Z', breakGlass: false },
        who,
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await groupsOf('dev')).toEqual(['ProdDebug']);
  });
});

describe('validateGrantRequest', () => {
  it('accepts an allow-listed group within the cap', () => {
    expect(() =>
      validateGrantRequest(config, {
        template: 'developer',
        kind: 'group',
        target: 'ProdDebug',
        durationMinutes: 120,
      }),
    ).not.toThrow();
  });
  it('names the field when the target is not on the template allow-list', () => {
    expect(() =>
      validateGrantRequest(config, {
        template: 'developer',
        kind: 'group',
        target: 'Administrators',
        durationMinutes: 60,
      }),
    ).toThrow(
      /target: group "Administrators" is not grantable for template developer \(choose one of: ProdDebug\)/,
    );
  });
  it('caps the duration', () => {
    expect(() =>
      validateGrantRequest(config, {
        template: 'developer',
        kind: 'group',
        target: 'ProdDebug',
        durationMinutes: 9 * 60,
      }),
    ).toThrow(/duration: at most 8 h/);
  });
  it('allows break-glass only on templates configured for it, and caps it harder', () => {
    const bg = { kind: 'group' as const, target: 'ProdDebug', breakGlass: true };
    expect(() => validateGrantRequest(config, { ...bg, template: 'developer', durationMinutes: 30 })).toThrow(
      ValidationError,
    );
    expect(() => validateGrantRequest(config, { ...bg, template: 'developer', durationMinutes: 30 })).toThrow(
      /not configured for break-glass/,
    );
    expect(() =>
      validateGrantRequest(config, { ...bg, template: 'readonly', durationMinutes: 30 }),
    ).not.toThrow();
    expect(() => validateGrantRequest(config, { ...bg, template: 'readonly', durationMinutes: 61 })).toThrow(
      /break-glass is capped at 60 minutes/,
    );
  });
  it('names an unknown template', () => {
    expect(() =>
      validateGrantRequest(config, { template: 'nope', kind: 'group', target: 'X', durationMinutes: 1 }),
    ).toThrow(/template: unknown template "nope"/);
  });
});
