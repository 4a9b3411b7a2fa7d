import type { HomeView, KnownBlock, ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { templateSchema } from '../../src/config.js';
import type { Summary } from '../../src/core/detect/findings-report.js';
import type { Finding } from '../../src/core/detect/inactivity.js';
import type { AccountScan, ScanResult } from '../../src/core/detect/scan.js';
import type { Grant } from '../../src/core/grants.js';
import type { PendingRequest } from '../../src/store/types.js';
import { appHomeView } from '../../src/views/app-home.js';
import { approvalMessage } from '../../src/views/approval.js';
import { createModal } from '../../src/views/create-modal.js';
import { digestMessage } from '../../src/views/digest.js';
import {
  breakGlassBroadcastBlocks,
  grantAppliedBlocks,
  grantNoticeBlocks,
} from '../../src/views/grant-messages.js';
import { grantModalFor } from '../../src/views/grant-modal.js';
import { mfaCodesModal, mfaPromptMessage } from '../../src/views/mfa.js';

/**
 * Slack's documented limits, written out here rather than imported from src/views/limits.ts: the test is the
 * independent check, so a builder (or limits.ts itself) drifting past Slack's numbers fails it.
 */
const SLACK = {
  messageBlocks: 50,
  viewBlocks: 100,
  text: 3000,
  field: 2000,
  fields: 10,
  header: 150,
  optionText: 75,
  optionValue: 150,
  options: 100,
  buttonText: 75,
  buttonValue: 2000,
  modalTitle: 24,
  blockId: 255,
  actionId: 255,
  label: 2000,
  placeholder: 150,
  contextElements: 10,
  actionsElements: 25,
} as const;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const text = (v: unknown): string => String(obj(v).text ?? '');

/** Every limit a payload breaks, as readable lines; empty when Slack would accept it. */
function violations(blocks: readonly unknown[], maxBlocks: number): string[] {
  const out: string[] = [];
  const over = (where: string, value: string | unknown[], max: number, min = 0) => {
    if (value.length > max || value.length < min)
      out.push(`${where}: ${value.length} (limit ${min}..${max})`);
  };
  const option = (where: string, o: unknown) => {
    over(`${where} option text`, text(obj(o).text), SLACK.optionText, 1);
    over(`${where} option value`, String(obj(o).value ?? ''), SLACK.optionValue, 1);
  };
  const element = (where: string, e: Json) => {
    if (typeof e.action_id === 'string') over(`${where} action_id`, e.action_id, SLACK.actionId);
    if (e.placeholder) over(`${where} placeholder`, text(e.placeholder), SLACK.placeholder);
    if (e.type === 'button') {
      over(`${where} button text`, text(e.text), SLACK.buttonText, 1);
      if (typeof e.value === 'string') over(`${where} button value`, e.value, SLACK.buttonValue);
    }
    if (e.type === 'static_select') {
      const options = (e.options as unknown[] | undefined) ?? [];
      over(`${where} options`, options, SLACK.options, 1);
      options.forEach((o, i) => {
        option(`${where}[${i}]`, o);
      });
      if (e.initial_option) option(`${where} initial`, e.initial_option);
    }
  };
  over('blocks', [...blocks], maxBlocks);
  blocks.forEach((raw, i) => {
    const b = obj(raw);
    const where = `block ${i} (${String(b.type)})`;
    if (typeof b.block_id === 'string') over(`${where} block_id`, b.block_id, SLACK.blockId);
    if (b.type === 'section') {
      if (b.text) over(`${where} text`, text(b.text), SLACK.text, 1);
      const fields = (b.fields as unknown[] | undefined) ?? [];
      over(`${where} fields`, fields, SLACK.fields);
      for (const f of fields) over(`${where} field`, text(f), SLACK.field, 1);
      if (b.accessory) element(`${where} accessory`, obj(b.accessory));
    }
    if (b.type === 'header') over(`${where} text`, text(b.text), SLACK.header, 1);
    if (b.type === 'context') {
      const elements = (b.elements as unknown[]) ?? [];
      over(`${where} elements`, elements, SLACK.contextElements, 1);
      for (const e of elements) over(`${where} text`, text(e), SLACK.text, 1);
    }
    if (b.type === 'actions') {
      const elements = (b.elements as unknown[]) ?? [];
      over(`${where} elements`, elements, SLACK.actionsElements, 1);
      for (const e of elements) element(where, obj(e));
    }
    if (b.type === 'input') {
      over(`${where} label`, text(b.label), SLACK.label, 1);
      element(where, obj(b.element));
    }
  });
  return out;
}

const message = (m: { text: string; blocks: KnownBlock[] }) => violations(m.blocks, SLACK.messageBlocks);
const home = (v: HomeView) => violations(v.blocks, SLACK.viewBlocks);
function modal(v: ModalView): string[] {
  const out = violations(v.blocks, SLACK.viewBlocks);
  for (const [k, t] of [
    ['title', v.title],
    ['submit', v.submit],
    ['close', v.close],
  ] as const) {
    const s = t?.text ?? '';
    if (t && (s.length > SLACK.modalTitle || s.length < 1))
      out.push(`${k}: ${s.length} (limit ${SLACK.modalTitle})`);
  }
  return out;
}

/** A seeded generator, so a failure names a case that can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T;
  const word = (chars: string, lo: number, hi: number) =>
    Array.from({ length: int(lo, hi) }, () => chars[int(0, chars.length - 1)]).join('');
  return {
    int,
    pick,
    bool: () => next() < 0.5,
    /** IAM's name alphabet, up to IAM's 64 (users) or 128 (groups, policies). */
    iamName: (max = 64) =>
      word('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-', 1, max),
    /** Free text that escaping makes longer: `&` becomes five characters. */
    prose: (max: number) => word('ab <&>!@', 1, max),
    accountId: () => word('0123456789', 12, 12),
  };
}
type Rng = ReturnType<typeof rng>;

const CASES = 30;
const seeds = Array.from({ length: CASES }, (_, i) => i + 1);
const ISO = '2026-01-01T00:00:00.000Z';

const policyArn = (r: Rng) =>
  `arn:aws:iam::${r.bool() ? 'aws' : r.accountId()}:policy/${r.bool() ? `${r.iamName(100)}/` : ''}${r.iamName(128)}`;

function accounts(r: Rng, max: number) {
  return Array.from({ length: r.int(1, max) }, () => ({ id: r.accountId(), name: r.iamName(64) }));
}

function grant(r: Rng): Grant {
  const kind = r.pick(['group', 'policy'] as const);
  return {
    id: r.iamName(16),
    account: r.accountId(),
    username: r.iamName(64),
    kind,
    target: kind === 'group' ? r.iamName(128) : policyArn(r),
    requester: `U${r.int(1000, 9999)}`,
    ownerSlackId: `U${r.int(1000, 9999)}`,
    reason: r.prose(r.pick([20, 1000, 10_000])),
    createdAt: ISO,
    expiresAt: ISO,
    breakGlass: r.bool(),
    approvers: [],
    status: 'active',
  };
}

function templates(r: Rng, n: number) {
  return Object.fromEntries(
    Array.from({ length: n }, () => [
      r.iamName(r.pick([10, 64, 128])),
      templateSchema.parse({
        approvals_required: r.int(1, 5),
        break_glass: r.bool(),
        grantable: {
          groups: Array.from({ length: r.int(0, 40) }, () => r.iamName(128)),
          managed_policies: Array.from({ length: r.int(0, 40) }, () => policyArn(r)),
        },
      }),
    ]),
  );
}

function request(r: Rng): PendingRequest {
  const kind = r.pick(['create', 'offboard', 'remediate', 'grant'] as const);
  const status = r.pick(['pending', 'approving', 'done', 'failed', 'denied', 'expired'] as const);
  return {
    id: r.iamName(36),
    kind,
    requester: 'UREQ',
    target: { username: r.iamName(64), ...(r.bool() ? { email: r.prose(254) } : { slackUserId: 'UOWNER' }) },
    template: r.iamName(128),
    account: r.accountId(),
    justification: r.prose(r.pick([10, 3000, 20_000])),
    extraGroups: Array.from({ length: r.int(0, 10) }, () => r.iamName(128)),
    ...(r.bool() ? { durationHours: r.int(1, 720) } : {}),
    approvalsNeeded: r.int(1, 5),
    adminOnly: r.bool(),
    approvals: Array.from({ length: r.int(0, 5) }, (_, i) => ({ user: `UAPP${i}`, at: ISO })),
    status,
    createdAt: ISO,
    expiresAt: ISO,
    decidedBy: 'UDEC',
    decidedAt: ISO,
    outcome: r.prose(r.pick([10, 5000])),
    ...(kind === 'grant'
      ? { grant: { kind: 'policy' as const, target: policyArn(r), durationMinutes: r.int(1, 2880) } }
      : {}),
    ...(kind === 'remediate'
      ? {
          remediation: {
            action: r.pick(['disable-keys', 'disable-console', 'offboard'] as const),
            finding: {
              id: 'fnd-0123456789abcdef',
              account: r.accountId(),
              accountName: r.iamName(64),
              username: r.iamName(64),
              type: 'CONSOLE_INACTIVE',
            },
          },
        }
      : {}),
  } as PendingRequest;
}

function scan(r: Rng): { result: ScanResult; summary: Summary } {
  const findings: Finding[] = [];
  const accts: AccountScan[] = Array.from({ length: r.int(1, 300) }, () => {
    const accountId = r.accountId();
    const accountName = r.iamName(64);
    const ok = r.int(0, 9) > 0;
    const own: Finding[] = ok
      ? Array.from({ length: r.int(0, 40) }, (_, i) => ({
          id: `fnd-${accountId}${i}`,
          accountId,
          accountName,
          userName: r.iamName(64),
          userArn: `arn:aws:iam::${accountId}:user/x`,
          type: r.pick(['CONSOLE_INACTIVE', 'ACCESS_KEY_NEVER_USED'] as const),
          severity: r.pick(['HIGH', 'MEDIUM', 'LOW'] as const),
          // Only the first findings are shown; long text for the rest would only slow generation down.
          details: r.prose(findings.length + i < 20 ? 4000 : 20),
          controls: ['CC6.1', 'CC6.2'],
          remediation: 'disable',
          daysInactive: r.int(0, 900),
          email: findings.length + i < 20 ? r.prose(254) : 'a@b',
          department: '',
          manager: '',
          createdDate: ISO,
          lastLogin: ISO,
          mfaEnabled: r.bool(),
          status: 'OPEN',
        }))
      : [];
    findings.push(...own);
    return {
      accountId,
      accountName,
      region: 'us-east-1',
      ok,
      ...(ok ? {} : { error: { code: 'AccessDenied', message: r.prose(2000) } }),
      generatedAt: new Date(ISO),
      userCount: r.int(0, 5000),
      findings: own,
      iamCalls: 3,
    };
  });
  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  return {
    result: {
      analysisDate: new Date(ISO),
      settings: { console_days: 90, access_key_days: 90, severities: {}, soc2_controls: {} },
      accounts: accts,
      findings,
    },
    summary: {
      total_findings: findings.length,
      high_severity: count('HIGH'),
      medium_severity: count('MEDIUM'),
      low_severity: count('LOW'),
    },
  };
}

describe("every builder stays within Slack's limits over generated input", () => {
  it.each(seeds)('approval message, seed %i', (seed) => {
    expect(message(approvalMessage(request(rng(seed)), rng(seed).prose(500)))).toEqual([]);
  });

  it.each(seeds)('digest, seed %i', (seed) => {
    const r = rng(seed);
    const { result, summary } = scan(r);
    const tickets = new Map(
      result.findings.slice(0, 20).map((f) => [f.id, { key: `OPS-${r.int(1, 99999)}`, url: 'https://j/x' }]),
    );
    const files = Array.from({ length: r.int(0, 5) }, () => r.prose(200));
    expect(message(digestMessage({ result, summary, tickets, files, remediation: r.bool() }))).toEqual([]);
  });

  it.each(seeds)('App Home, seed %i', (seed) => {
    const r = rng(seed);
    const v = appHomeView({
      role: r.pick(['requester', 'approver', 'admin']),
      usage: Array.from({ length: r.int(1, 40) }, () => r.prose(200)),
      users: Array.from({ length: r.int(0, 300) }, () => ({
        account: r.accountId(),
        accountName: r.iamName(64),
        username: r.iamName(64),
        mfaEnabled: r.bool(),
        keys: Array.from({ length: r.int(0, 2) }, () => ({
          id: `AKIA${r.iamName(16)}`,
          status: r.pick(['Active', 'Inactive']),
          ageDays: r.int(0, 2000),
        })),
      })),
      grants: Array.from({ length: r.int(0, 300) }, () => grant(r)),
      ...(r.bool()
        ? {
            pending: Array.from({ length: r.int(0, 300) }, () => ({
              id: r.iamName(36),
              summary: r.prose(r.pick([50, 4000])),
              requester: 'U1',
              expiresAt: ISO,
            })),
          }
        : {}),
      failedAccounts: Array.from({ length: r.int(0, 300) }, () => r.prose(300)),
      maxKeyAgeDays: 90,
    });
    expect(home(v)).toEqual([]);
  });

  it.each(seeds)('grant modal, seed %i', (seed) => {
    const r = rng(seed);
    const config = {
      templates: templates(r, r.int(1, 20)),
      grants: { max_duration_hours: r.int(1, 720) },
      break_glass: { max_duration_minutes: r.int(1, 1440), per_user_per_day: 2 },
    };
    expect(modal(grantModalFor(config, accounts(r, 300), r.bool()))).toEqual([]);
  });

  it.each(seeds)('create modal, seed %i', (seed) => {
    const r = rng(seed);
    const accts = accounts(r, 300);
    const v = createModal(
      { templates: templates(r, r.int(1, 150)), home_account: r.pick(accts).id },
      accts,
      { mode: r.pick(['create', 'onboard'] as const), channel: 'C1' },
      { slackUserId: 'U1', username: r.iamName(64), email: r.prose(254) },
    );
    expect(modal(v)).toEqual([]);
  });

  it.each(seeds)('grant messages, seed %i', (seed) => {
    const r = rng(seed);
    const g = grant(r);
    expect(violations(grantNoticeBlocks(g), SLACK.messageBlocks)).toEqual([]);
    expect(violations(grantAppliedBlocks(g, r.bool()), SLACK.messageBlocks)).toEqual([]);
    expect(violations(breakGlassBroadcastBlocks(g, 'U1'), SLACK.messageBlocks)).toEqual([]);
  });

  it.each(seeds)('MFA views, seed %i', (seed) => {
    const r = rng(seed);
    expect(
      message(mfaPromptMessage({ id: r.iamName(36), username: r.iamName(64), account: r.accountId() })),
    ).toEqual([]);
    expect(modal(mfaCodesModal(r.iamName(36), r.iamName(64)))).toEqual([]);
  });
});

describe('the limit checker', () => {
  it('catches each kind of overflow, so a green run means something', () => {
    const long = (n: number) => 'x'.repeat(n);
    const button = (t: string) => ({ type: 'button', action_id: 'a', text: { type: 'plain_text', text: t } });
    const select = (options: unknown[]) => ({
      type: 'input',
      label: { type: 'plain_text', text: 'l' },
      element: { type: 'static_select', action_id: 'a', options },
    });
    const opt = (t: string, v: string) => ({ text: { type: 'plain_text', text: t }, value: v });
    expect(
      violations(
        Array.from({ length: 51 }, () => ({ type: 'divider' })),
        50,
      ),
    ).toHaveLength(1);
    expect(violations([{ type: 'section', text: { type: 'mrkdwn', text: long(3001) } }], 50)).toHaveLength(1);
    expect(
      violations([{ type: 'context', elements: [{ type: 'mrkdwn', text: long(3001) }] }], 50),
    ).toHaveLength(1);
    expect(violations([{ type: 'actions', elements: [button(long(76))] }], 50)).toHaveLength(1);
    expect(violations([select([opt(long(76), 'v')])], 100)).toHaveLength(1);
    expect(violations([select([opt('t', long(151))])], 100)).toHaveLength(1);
    expect(violations([select(Array.from({ length: 101 }, () => opt('t', 'v')))], 100)).toHaveLength(1);
    expect(modal({ type: 'modal', title: { type: 'plain_text', text: long(25) }, blocks: [] })).toHaveLength(
      1,
    );
  });
});
