import { describe, expect, it } from 'vitest';
import { templateSchema } from '../../src/config.js';
import type { Grant } from '../../src/core/grants.js';
import { appHomeView, HOME_ACTIONS, parseUserRef } from '../../src/views/app-home.js';
import {
  breakGlassBroadcastBlocks,
  GRANT_ACTIONS,
  grantNoticeBlocks,
} from '../../src/views/grant-messages.js';
import {
  accessFromValue,
  accessValue,
  BREAK_GLASS_CALLBACK,
  durationChoices,
  grantRequestModal,
} from '../../src/views/grant-modal.js';

const grant: Grant = {
  id: 'g1',
  account: '111111111111',
  username: 'jane',
  kind: 'group',
  target: 'ProdDebug',
  requester: 'U1',
  ownerSlackId: 'U1',
  reason: 'fix <!channel> & more',
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T01:00:00.000Z',
  breakGlass: true,
  approvers: [],
  status: 'active',
};

describe('grant views', () => {
  it('offers durations up to the cap, the cap included', () => {
    expect(durationChoices(60)).toEqual([15, 30, 60]);
    expect(durationChoices(90)).toEqual([15, 30, 60, 90]);
  });

  it('maps a short access id back through the config, long ARNs included, and nothing else', () => {
    const longArn = `arn:aws:iam::123456789012:policy/${'p'.repeat(512)}/${'n'.repeat(128)}`;
    const config = {
      templates: {
        t: templateSchema.parse({
          grantable: {
            groups: ['ProdDebug'],
            managed_policies: ['arn:aws:iam::aws:policy/ReadOnlyAccess', longArn],
          },
        }),
      },
    };
    const value = accessValue('policy', longArn);
    expect(value.length).toBeLessThanOrEqual(150);
    expect(value).not.toContain('arn:');
    expect(accessFromValue(config, value)).toEqual({ kind: 'policy', target: longArn });
    expect(accessFromValue(config, 'group:ProdDebug')).toEqual({ kind: 'group', target: 'ProdDebug' });
    // A raw ARN, a group no template allows or a made-up id never maps to anything.
    expect(accessFromValue(config, 'policy:arn:aws:iam::aws:policy/ReadOnlyAccess')).toBeUndefined();
    expect(accessFromValue(config, 'group:Administrators')).toBeUndefined();
    expect(accessFromValue(config, 'policy#0123456789abcdef0123')).toBeUndefined();
  });

  it('builds the break-glass modal with its own callback, a mandatory reason and the cap', () => {
    const v = grantRequestModal({
      breakGlass: true,
      accounts: [{ id: '111111111111', name: 'home' }],
      access: [{ kind: 'group', target: 'ProdDebug' }],
      maxMinutes: 60,
      privateMetadata: '{}',
    });
    expect(v.callback_id).toBe(BREAK_GLASS_CALLBACK);
    const blocks = v.blocks as {
      block_id?: string;
      element?: { min_length?: number; options?: unknown[] };
    }[];
    expect(blocks.find((b) => b.block_id === 'grant_reason')?.element?.min_length).toBe(10);
    expect(blocks.find((b) => b.block_id === 'grant_duration')?.element?.options).toHaveLength(3);
  });

  it("puts only the grant id on the Extend and I'm done buttons", () => {
    const blocks = grantNoticeBlocks(grant);
    expect(blocks[1]).toEqual({
      type: 'actions',
      block_id: 'grant_notice_g1',
      elements: [
        { type: 'button', action_id: GRANT_ACTIONS.extend, text: expect.any(Object), value: 'g1' },
        {
          type: 'button',
          action_id: GRANT_ACTIONS.done,
          text: expect.any(Object),
          style: 'danger',
          value: 'g1',
        },
      ],
    });
  });

  it('escapes the user-written reason in the break-glass broadcast', () => {
    const text = JSON.stringify(breakGlassBroadcastBlocks(grant, 'U1'));
    expect(text).toContain('fix &lt;!channel&gt; &amp; more');
    expect(text).not.toContain('<!channel>');
  });
});

describe('App Home', () => {
  const user = (i: number) => ({
    account: '111111111111',
    accountName: 'home',
    username: `user${i}`,
    mfaEnabled: i % 2 === 0,
    keys: [{ id: `AKIA000${i}`, status: 'Active', ageDays: 100 }],
  });

  it('shows MFA, key ages and self-service buttons that name which user they act on', () => {
    const v = appHomeView({
      role: 'requester',
      usage: ['request'],
      users: [user(1)],
      grants: [grant],
      maxKeyAgeDays: 90,
    });
    const json = JSON.stringify(v);
    expect(json).toContain(':x: not enabled');
    expect(json).toContain('100 d :warning:');
    const actions = (v.blocks as { type: string; elements?: { action_id: string; value?: string }[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements ?? []);
    const mfa = actions.find((e) => e.action_id === HOME_ACTIONS.enrollMfa);
    expect(parseUserRef(mfa?.value ?? '')).toEqual({ account: '111111111111', username: 'user1' });
    expect(actions.some((e) => e.action_id === HOME_ACTIONS.rotateKey)).toBe(true);
    expect(json).toContain('Active grants');
    expect(json).not.toContain('Waiting for your approval');
  });

  it('reads back only user refs that name a real account id', () => {
    expect(parseUserRef('123456789012|jane')).toEqual({ account: '123456789012', username: 'jane' });
    expect(parseUserRef('home|jane')).toBeUndefined();
    expect(parseUserRef('123456789012|')).toBeUndefined();
    expect(parseUserRef('123456789012|jane|x')).toBeUndefined();
  });

  it('stays within the 100-block limit however much there is', () => {
    const many = Array.from({ length: 200 }, (_, i) => user(i));
    const grants = Array.from({ length: 200 }, (_, i) => ({ ...grant, id: `g${i}` }));
    const pending = Array.from({ length: 200 }, (_, i) => ({
      id: `r${i}`,
      summary: 'create x',
      requester: 'U2',
      expiresAt: '2026-01-01T00:00:00Z',
    }));
    const v = appHomeView({
      role: 'admin',
      usage: ['request'],
      users: many,
      grants,
      pending,
      maxKeyAgeDays: 90,
    });
    expect((v.blocks as unknown[]).length).toBeLessThanOrEqual(100);
    expect(JSON.stringify(v)).toContain('…and 185 more IAM users');
  });
});

describe('App Home failures', () => {
  it('lists failed accounts within the text limit and says how many more there are', () => {
    const failed = Array.from({ length: 40 }, (_, i) => `workload-${i}: ${'AccessDenied <&> '.repeat(20)}`);
    const v = appHomeView({
      role: 'requester',
      usage: ['request'],
      users: [],
      grants: [],
      failedAccounts: failed,
      maxKeyAgeDays: 90,
    });
    const line = JSON.stringify(v.blocks).match(/:warning: Could not read:[^"]*/)?.[0] ?? '';
    expect(line.length).toBeLessThanOrEqual(3000);
    expect(line).toMatch(/^:warning: Could not read: workload-0: AccessDenied &lt;&amp;&gt; /);
    expect(line).toMatch(/; …and \d+ more$/);
  });
});
