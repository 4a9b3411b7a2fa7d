import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { templateSchema } from '../../src/config.js';
import type { AuditEvent } from '../../src/core/audit.js';
import type { Summary } from '../../src/core/detect/findings-report.js';
import type { Finding } from '../../src/core/detect/inactivity.js';
import type { AccountScan, ScanResult } from '../../src/core/detect/scan.js';
import type { Grant } from '../../src/core/grants.js';
import type { PendingRequest } from '../../src/store/types.js';
import { appHomeView, userRef } from '../../src/views/app-home.js';
import { approvalMessage, requestTitle } from '../../src/views/approval.js';
import { createModal } from '../../src/views/create-modal.js';
import {
  accountLine,
  digestMessage,
  findingText,
  inactiveReplyText,
  remediationBlock,
} from '../../src/views/digest.js';
import {
  breakGlassBroadcastBlocks,
  grantAppliedBlocks,
  grantNoticeBlocks,
  grantRevokedText,
} from '../../src/views/grant-messages.js';
import { grantModalFor, grantRequestModal } from '../../src/views/grant-modal.js';
import * as limits from '../../src/views/limits.js';
import {
  accessKeySecretMessage,
  auditList,
  auditWindow,
  passwordSecretMessage,
  pendingList,
} from '../../src/views/messages.js';
import { mfaCodesModal, mfaPromptMessage } from '../../src/views/mfa.js';
import { closedText } from '../../src/views/request-status.js';
import { filterOptions, option } from '../../src/views/select.js';
import {
  homeViolations,
  messageViolations,
  modalViolations,
  optionsResponseViolations,
  SLACK,
  textViolations,
  violations,
} from './slack-limits.js';

/**
 * Every builder in src/views over generated input, checked against Slack's documented limits (slack-limits.ts,
 * an independent copy of the numbers). Big inputs (150 templates, 120 accounts, 10,000 findings, 60 grants)
 * are generated sparsely, among many small ones, so that 1,000 cases per builder stay quick.
 */
const RUNS = { numRuns: 1000 };
const ISO = '2026-01-01T00:00:00.000Z';

const IAM_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-'];
/** Text that escaping makes longer (`&` becomes five characters), with non-ASCII and emoji. */
const PROSE_CHARS = ['a', 'b', ' ', '<', '&', '>', '!', '@', '*', '`', '\n', 'é', '😀', ':'];

/** Mostly short, sometimes exactly the maximum: a limit is broken at the top end. */
function str(chars: string[], max: number, min = 1): fc.Arbitrary<string> {
  const unit = fc.constantFrom(...chars);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit, minLength: min, maxLength: Math.min(max, 24) }) },
    { weight: 1, arbitrary: fc.string({ unit, minLength: min, maxLength: max }) },
    { weight: 1, arbitrary: fc.string({ unit, minLength: max, maxLength: max }) },
  );
}
/** IAM's name alphabet: 64 for users, 128 for groups and policies. */
const iamName = (max = 64) => str(IAM_CHARS, max);
const prose = (max: number) => str(PROSE_CHARS, max);
const accountId = fc.stringMatching(/^\d{12}$/);
const slackId = fc.stringMatching(/^U[A-Z0-9]{8,10}$/);
const policyArn = fc
  .tuple(fc.oneof(fc.constant('aws'), accountId), fc.option(iamName(512)), iamName(128))
  .map(([acct, path, name]) => `arn:aws:iam::${acct}:policy/${path ? `${path}/` : ''}${name}`);

/**
 * A list whose length is usually small and sometimes `big`: a few distinct items are generated and repeated
 * (with `vary` making each copy unique), so a list of 10,000 costs little to generate.
 */
function many<T>(item: fc.Arbitrary<T>, big: number, vary: (t: T, i: number) => T = (t) => t) {
  return fc
    .tuple(
      fc.array(item, { minLength: 1, maxLength: 6 }),
      fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: 12 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: big }) },
        { weight: 1, arbitrary: fc.constant(big) },
      ),
    )
    .map(([base, n]) => Array.from({ length: n }, (_, i) => vary(base[i % base.length] as T, i)));
}

const accountChoice = fc.record({ id: accountId, name: str(PROSE_CHARS.concat(IAM_CHARS), 128) });
const accounts = many(accountChoice, 120, (a, i) => ({ ...a, id: String(100_000_000_000 + i) }));

const template = fc
  .record({
    approvals_required: fc.integer({ min: 1, max: 5 }),
    break_glass: fc.boolean(),
    admin_only: fc.boolean(),
    groups: fc.array(iamName(128), { maxLength: 4 }),
    policies: fc.array(policyArn, { maxLength: 4 }),
  })
  .map((t) =>
    templateSchema.parse({
      approvals_required: t.approvals_required,
      break_glass: t.break_glass && t.approvals_required === 1,
      admin_only: t.admin_only,
      grantable: { groups: t.groups, managed_policies: t.policies },
    }),
  );
const templateName = str([...'abcdefghijklmnopqrstuvwxyz0123456789_-'], 128);
type Tpl = ReturnType<typeof templateSchema.parse>;
const templates = many<[string, Tpl]>(fc.tuple(templateName, template), 150, ([n, t], i) => [
  `${n}${i}`,
  t,
]).map((entries) => Object.fromEntries(entries));

const grant: fc.Arbitrary<Grant> = fc
  .record({
    id: fc.stringMatching(/^[0-9a-f]{16}$/),
    account: accountId,
    username: iamName(64),
    group: iamName(128),
    policy: policyArn,
    isPolicy: fc.boolean(),
    requester: slackId,
    ownerSlackId: slackId,
    reason: prose(10_000),
    breakGlass: fc.boolean(),
  })
  .map(({ group, policy, isPolicy, ...g }) => ({
    ...g,
    kind: isPolicy ? ('policy' as const) : ('group' as const),
    target: isPolicy ? policy : group,
    createdAt: ISO,
    expiresAt: ISO,
    approvers: [],
    status: 'active' as const,
  }));

const request: fc.Arbitrary<PendingRequest> = fc
  .record({
    id: fc.uuid(),
    kind: fc.constantFrom('create', 'offboard', 'remediate', 'grant'),
    status: fc.constantFrom('pending', 'approving', 'done', 'failed', 'denied', 'expired'),
    requester: slackId,
    username: iamName(64),
    email: fc.option(prose(254)),
    owner: slackId,
    template: templateName,
    account: accountId,
    justification: prose(20_000),
    extraGroups: fc.array(iamName(128), { maxLength: 10 }),
    durationHours: fc.option(fc.integer({ min: 1, max: 720 })),
    approvalsNeeded: fc.integer({ min: 1, max: 5 }),
    adminOnly: fc.boolean(),
    approvals: fc.array(slackId, { maxLength: 5 }),
    outcome: fc.option(prose(5000)),
    grantKind: fc.constantFrom('group', 'policy'),
    group: iamName(128),
    policy: policyArn,
    minutes: fc.integer({ min: 1, max: 2880 }),
    extension: fc.boolean(),
    action: fc.constantFrom('disable-keys', 'disable-console', 'offboard'),
    accountName: str(PROSE_CHARS, 128),
    // Up to 10 extra groups and a policy, each raised by another template (approvalRule).
    elevated: fc.array(
      fc.record({
        kind: fc.constantFrom('group' as const, 'policy' as const),
        name: fc.oneof(iamName(128), policyArn),
        template: templateName,
        adminOnly: fc.boolean(),
        approvalsNeeded: fc.integer({ min: 1, max: 5 }),
      }),
      { maxLength: 11 },
    ),
  })
  .map(
    (r) =>
      ({
        id: r.id,
        kind: r.kind,
        requester: r.requester,
        target: { username: r.username, ...(r.email ? { email: r.email } : { slackUserId: r.owner }) },
        template: r.template,
        account: r.account,
        justification: r.justification,
        extraGroups: r.extraGroups,
        ...(r.durationHours ? { durationHours: r.durationHours } : {}),
        approvalsNeeded: r.approvalsNeeded,
        adminOnly: r.adminOnly,
        ...(r.elevated.length > 0 ? { elevated: r.elevated } : {}),
        approvals: r.approvals.map((user) => ({ user, at: ISO })),
        status: r.status,
        createdAt: ISO,
        expiresAt: ISO,
        decidedBy: r.owner,
        decidedAt: ISO,
        ...(r.outcome ? { outcome: r.outcome } : {}),
        ...(r.kind === 'grant'
          ? {
              grant: {
                kind: r.grantKind,
                target: r.grantKind === 'group' ? r.group : r.policy,
                durationMinutes: r.minutes,
                extension: r.extension,
              },
            }
          : {}),
        ...(r.kind === 'remediate'
          ? {
              remediation: {
                action: r.action,
                finding: {
                  id: 'fnd-0123456789abcdef',
                  account: r.account,
                  accountName: r.accountName,
                  username: r.username,
                  type: 'CONSOLE_INACTIVE',
                },
              },
            }
          : {}),
      }) as PendingRequest,
  );

const finding = fc
  .record({
    accountId,
    accountName: str(PROSE_CHARS, 128),
    userName: iamName(64),
    type: fc.constantFrom('CONSOLE_INACTIVE', 'ACCESS_KEY_NEVER_USED', 'ACCESS_KEY_INACTIVE'),
    severity: fc.constantFrom('HIGH', 'MEDIUM', 'LOW'),
    details: prose(4000),
    email: prose(254),
    days: fc.integer({ min: 0, max: 5000 }),
    mfa: fc.boolean(),
  })
  .map(
    (f): Finding => ({
      id: `fnd-${f.accountId}`,
      accountId: f.accountId,
      accountName: f.accountName,
      userName: f.userName,
      userArn: `arn:aws:iam::${f.accountId}:user/${f.userName}`,
      type: f.type as Finding['type'],
      severity: f.severity as Finding['severity'],
      details: f.details,
      controls: ['CC6.1', 'CC6.2'],
      remediation: 'disable',
      daysInactive: f.days,
      email: f.email,
      department: '',
      manager: '',
      createdDate: ISO,
      lastLogin: ISO,
      mfaEnabled: f.mfa,
      status: 'OPEN',
    }),
  );

const scan: fc.Arbitrary<{ result: ScanResult; summary: Summary }> = fc
  .tuple(
    many(
      fc.record({ name: str(PROSE_CHARS, 128), ok: fc.boolean(), error: prose(2000), users: fc.nat(5000) }),
      120,
    ),
    many(finding, 10_000, (f, i) => ({ ...f, id: `${f.id}-${i}` })),
  )
  .map(([accts, findings]) => {
    const scans: AccountScan[] = accts.map((a, i) => {
      const id = String(100_000_000_000 + i);
      const own = a.ok ? findings.filter((_, j) => j % accts.length === i) : [];
      return {
        accountId: id,
        accountName: a.name,
        region: 'us-east-1',
        ok: a.ok,
        ...(a.ok ? {} : { error: { code: 'AccessDenied', message: a.error } }),
        generatedAt: new Date(ISO),
        userCount: a.users,
        findings: own,
        iamCalls: 3,
      };
    });
    const all = scans.flatMap((s) => s.findings);
    const count = (s: string) => all.filter((f) => f.severity === s).length;
    return {
      result: {
        analysisDate: new Date('2026-02-01T00:00:00.000Z'),
        settings: { console_days: 90, access_key_days: 90, severities: {}, soc2_controls: {} },
        accounts: scans,
        findings: all,
      } as ScanResult,
      summary: {
        total_findings: all.length,
        high_severity: count('HIGH'),
        medium_severity: count('MEDIUM'),
        low_severity: count('LOW'),
      },
    };
  });

const auditEvent: fc.Arbitrary<AuditEvent> = fc.record({
  id: fc.uuid(),
  ts: fc.constant(ISO),
  actor: prose(80),
  action: iamName(40),
  account: accountId,
  target: iamName(128),
  outcome: fc.constantFrom('success', 'failure', 'denied') as fc.Arbitrary<AuditEvent['outcome']>,
  requestId: fc.uuid(),
  error: prose(2000),
});

describe("Slack's limits in src/views/limits.ts", () => {
  it('match the documented numbers', () => {
    expect({
      messageBlocks: limits.MESSAGE_MAX_BLOCKS,
      viewBlocks: limits.VIEW_MAX_BLOCKS,
      text: limits.TEXT_MAX,
      field: limits.FIELD_TEXT_MAX,
      header: limits.HEADER_TEXT_MAX,
      optionText: limits.OPTION_TEXT_MAX,
      optionValue: limits.OPTION_VALUE_MAX,
      options: limits.SELECT_MAX_OPTIONS,
      buttonText: limits.BUTTON_TEXT_MAX,
      buttonValue: limits.BUTTON_VALUE_MAX,
      modalTitle: limits.MODAL_TITLE_MAX,
      blockId: limits.BLOCK_ID_MAX,
      actionId: limits.ACTION_ID_MAX,
      placeholder: limits.PLACEHOLDER_TEXT_MAX,
    }).toEqual({
      messageBlocks: SLACK.messageBlocks,
      viewBlocks: SLACK.viewBlocks,
      text: SLACK.text,
      field: SLACK.field,
      header: SLACK.header,
      optionText: SLACK.optionText,
      optionValue: SLACK.optionValue,
      options: SLACK.options,
      buttonText: SLACK.buttonText,
      buttonValue: SLACK.buttonValue,
      modalTitle: SLACK.modalTitle,
      blockId: SLACK.blockId,
      actionId: SLACK.actionId,
      placeholder: SLACK.placeholder,
    });
  });
});

describe("every builder stays within Slack's limits over generated input", () => {
  const holds = <T>(arb: fc.Arbitrary<T>, check: (t: T) => string[]) =>
    fc.assert(
      fc.property(arb, (t) => {
        expect(check(t)).toEqual([]);
      }),
      RUNS,
    );

  it('approval message and title', () => {
    holds(fc.tuple(request, fc.option(prose(500))), ([r, progress]) => [
      ...messageViolations(approvalMessage(r, progress ?? undefined)),
      ...textViolations(requestTitle(r)),
    ]);
  });

  it('status texts for late clicks', () => {
    holds(request, (r) => textViolations(closedText(r)));
  });

  it('digest, its parts and the /aws-user inactive reply', () => {
    holds(
      fc.tuple(scan, fc.boolean(), fc.array(prose(200), { maxLength: 5 }), fc.option(prose(4000))),
      ([{ result, summary }, remediation, files, note]) => {
        const tickets = new Map(
          result.findings.slice(0, 20).map((f, i) => [f.id, { key: `OPS-${i}`, url: 'https://j/x' }]),
        );
        const first = result.findings[0];
        return [
          ...messageViolations(
            digestMessage({
              result,
              summary,
              tickets,
              files,
              remediation,
              ...(note ? { ticketNote: note } : {}),
            }),
          ),
          ...textViolations(inactiveReplyText(result, summary)),
          ...result.accounts.slice(0, 5).flatMap((a) => textViolations(accountLine(a, result.analysisDate))),
          ...(first
            ? [
                ...textViolations(findingText(first, tickets.get(first.id))),
                ...violations([remediationBlock(first)], SLACK.messageBlocks),
              ]
            : []),
        ];
      },
    );
  });

  it('App Home', () => {
    const user = fc.record({
      account: accountId,
      accountName: str(PROSE_CHARS, 128),
      username: iamName(64),
      mfaEnabled: fc.boolean(),
      keys: fc.array(
        fc.record({
          id: fc.stringMatching(/^AKIA[A-Z0-9]{16}$/),
          status: fc.constantFrom('Active', 'Inactive'),
          ageDays: fc.nat(5000),
        }),
        { maxLength: 2 },
      ),
    });
    const pending = fc.record({
      id: fc.uuid(),
      summary: prose(4000),
      requester: slackId,
      expiresAt: fc.constant(ISO),
    });
    const input = fc.record({
      role: fc.constantFrom('requester', 'approver', 'admin'),
      usage: fc.array(prose(200), { minLength: 1, maxLength: 40 }),
      users: many(user, 300, (u, i) => ({ ...u, username: `${u.username.slice(0, 60)}${i}` })),
      grants: many(grant, 60, (g, i) => ({ ...g, id: `${g.id}${i}` })),
      pending: fc.option(many(pending, 300)),
      // What flows/home.ts puts there: "<account name>: <error message>".
      failedAccounts: many(
        fc.tuple(str(PROSE_CHARS, 128), prose(1000)).map(([n, e]) => `${n}: ${e}`),
        120,
      ),
      trend: fc.option(
        fc.record({
          text: prose(5000),
          image: fc.option(fc.record({ fileId: fc.constant('F0TREND'), alt: prose(5000) })),
        }),
      ),
    });
    holds(input, (i) => {
      const { pending: p, trend: tr, ...rest } = i;
      const trend = tr ? { text: tr.text, ...(tr.image ? { image: tr.image } : {}) } : undefined;
      return homeViolations(
        appHomeView({
          ...rest,
          ...(p ? { pending: p } : {}),
          ...(trend ? { trend } : {}),
          maxKeyAgeDays: 90,
        }),
      );
    });
    holds(user, (u) => (userRef(u).length > SLACK.buttonValue ? ['userRef too long'] : []));
  });

  it('grant modals', () => {
    const input = fc.record({
      templates,
      accounts,
      breakGlass: fc.boolean(),
      hours: fc.integer({ min: 1, max: 720 }),
      minutes: fc.integer({ min: 1, max: 1440 }),
    });
    holds(input, (i) =>
      modalViolations(
        grantModalFor(
          {
            templates: i.templates,
            grants: { max_duration_hours: i.hours },
            break_glass: { max_duration_minutes: i.minutes, per_user_per_day: 2 },
          },
          i.accounts,
          i.breakGlass,
        ),
      ),
    );
    const access = fc.oneof(
      iamName(128).map((target) => ({ kind: 'group' as const, target })),
      policyArn.map((target) => ({ kind: 'policy' as const, target })),
    );
    holds(
      fc.record({
        breakGlass: fc.boolean(),
        accounts,
        access: many(access, 150),
        maxMinutes: fc.integer({ min: 1, max: 43_200 }),
      }),
      (i) => modalViolations(grantRequestModal({ ...i, privateMetadata: '' })),
    );
  });

  it('create modal, with and without prefill', () => {
    const input = fc.record({
      templates,
      accounts,
      mode: fc.constantFrom('create', 'onboard') as fc.Arbitrary<'create' | 'onboard'>,
      home: fc.boolean(),
      prefill: fc.record({ slackUserId: slackId, username: iamName(64), email: prose(254) }),
    });
    holds(input, (i) =>
      modalViolations(
        createModal(
          {
            templates: i.templates,
            home_account: i.home && i.accounts[0] ? i.accounts[0].id : undefined,
          },
          i.accounts,
          { mode: i.mode, channel: 'C0123456789' },
          i.prefill,
        ),
      ),
    );
  });

  it('grant messages', () => {
    holds(fc.tuple(grant, fc.boolean(), slackId, prose(500)), ([g, extended, who, why]) => [
      ...messageViolations({ text: 'x', blocks: grantNoticeBlocks(g) }),
      ...messageViolations({ text: 'x', blocks: grantAppliedBlocks(g, extended) }),
      ...messageViolations({ text: 'x', blocks: breakGlassBroadcastBlocks(g, who) }),
      ...textViolations(grantRevokedText(g, why)),
    ]);
  });

  it('MFA prompt and codes modal', () => {
    holds(fc.tuple(fc.uuid(), iamName(64), accountId), ([id, username, account]) => [
      ...messageViolations(mfaPromptMessage({ id, username, account })),
      ...modalViolations(mfaCodesModal(id, username)),
    ]);
  });

  it('DM and reply texts', () => {
    holds(
      fc.record({
        username: iamName(64),
        account: accountId,
        password: fc.string({ minLength: 12, maxLength: 128 }),
        url: fc.option(fc.webUrl()),
        keyId: fc.stringMatching(/^AKIA[A-Z0-9]{16}$/),
        secret: fc.string({ minLength: 40, maxLength: 40 }),
        note: fc.option(prose(500)),
        requests: many(request, 300),
        events: fc.array(auditEvent, { maxLength: 60 }),
        target: fc.option(iamName(64)),
        total: fc.nat(10_000_000),
        complete: fc.boolean(),
      }),
      (i) => [
        ...textViolations(
          passwordSecretMessage({
            username: i.username,
            account: i.account,
            password: i.password,
            ...(i.url ? { signInUrl: i.url } : {}),
          }),
        ),
        ...textViolations(
          accessKeySecretMessage({
            username: i.username,
            account: i.account,
            accessKeyId: i.keyId,
            secretAccessKey: i.secret,
            ...(i.note ? { note: i.note } : {}),
          }),
        ),
        ...textViolations(pendingList(i.requests)),
        ...textViolations(auditList(i.events, i.target ?? undefined)),
        ...textViolations(
          auditWindow({
            since: ISO,
            ...(i.target ? { target: i.target } : {}),
            total: i.total,
            complete: i.complete,
            outcomes: { success: i.total },
            latest: i.events,
          }),
        ),
      ],
    );
  });
});

describe('the limit checker', () => {
  it('catches each kind of overflow, so a green run means something', () => {
    const long = (n: number) => 'x'.repeat(n);
    const button = (t: string, value = 'v') => ({
      type: 'button',
      action_id: 'a',
      text: { type: 'plain_text', text: t },
      value,
    });
    const select = (options: unknown[], type = 'static_select') => ({
      type: 'input',
      label: { type: 'plain_text', text: 'l' },
      element: { type, action_id: 'a', options },
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
    expect(violations([{ type: 'actions', elements: [button('b', long(2001))] }], 50)).toHaveLength(1);
    expect(violations([{ type: 'actions', elements: [button('b'), button('c')] }], 50)).toHaveLength(1);
    expect(violations([select([opt(long(76), 'v')])], 100)).toHaveLength(1);
    expect(violations([select([opt('t', long(151))])], 100)).toHaveLength(1);
    expect(violations([select(Array.from({ length: 101 }, () => opt('t', 'v')))], 100)).toHaveLength(1);
    expect(violations([select([opt('t', 'v')], 'external_select')], 100)).toHaveLength(1);
    expect(violations([{ type: 'divider', block_id: long(256) }], 100)).toHaveLength(1);
    expect(
      violations(
        [
          { type: 'divider', block_id: 'x' },
          { type: 'divider', block_id: 'x' },
        ],
        100,
      ),
    ).toHaveLength(1);
    expect(
      modalViolations({ type: 'modal', title: { type: 'plain_text', text: long(25) }, blocks: [] } as never),
    ).toHaveLength(1);
    expect(textViolations(long(4001))).toHaveLength(1);
  });
});

/** The select element of an input block, by block id. */
function selectIn(v: { blocks: readonly unknown[] }, blockId: string) {
  const b = v.blocks.find((x) => (x as { block_id?: string }).block_id === blockId) as
    | { element: { type: string; options?: { value: string }[] } }
    | undefined;
  return b?.element;
}

describe('everything the config offers can be picked', () => {
  const RUNS_SMALL = { numRuns: 200 };

  it('create modal: every template and every account, whatever their number', () => {
    fc.assert(
      fc.property(fc.record({ templates, accounts }), ({ templates: t, accounts: a }) => {
        fc.pre(Object.keys(t).length > 0 && a.length > 0);
        const v = createModal({ templates: t }, a, { mode: 'create' });
        const tpl = selectIn(v, 'template');
        const acct = selectIn(v, 'account');
        if (tpl?.type === 'static_select') expect(tpl.options?.map((o) => o.value)).toEqual(Object.keys(t));
        else expect(tpl?.type).toBe('external_select');
        if (acct?.type === 'static_select')
          expect(acct.options?.map((o) => o.value)).toEqual(a.map((x) => x.id));
        else expect(acct?.type).toBe('external_select');
      }),
      RUNS_SMALL,
    );
  });

  it('grant modal: every grantable group and policy, long ARNs included, and every account', () => {
    fc.assert(
      fc.property(fc.record({ templates, accounts }), ({ templates: t, accounts: a }) => {
        const config = {
          templates: t,
          grants: { max_duration_hours: 8 },
          break_glass: { max_duration_minutes: 60, per_user_per_day: 2 },
        };
        const offered = new Set(
          Object.values(t).flatMap((x) => [
            ...x.grantable.groups.map((g) => `group ${g}`),
            ...x.grantable.managed_policies.map((p) => `policy ${p}`),
          ]),
        );
        fc.pre(offered.size > 0 && a.length > 0);
        const v = grantModalFor(config, a, false);
        const access = selectIn(v, 'grant_access');
        const acct = selectIn(v, 'grant_account');
        if (access?.type === 'static_select') expect(access.options).toHaveLength(offered.size);
        else expect(access?.type).toBe('external_select');
        if (acct?.type === 'static_select') expect(acct.options).toHaveLength(a.length);
        else expect(acct?.type).toBe('external_select');
      }),
      RUNS_SMALL,
    );
  });
});

describe('external select answers', () => {
  it('are a subset of the offered options, at most 100, within the option limits, and match the query', () => {
    const opts = many(
      fc.tuple(str(PROSE_CHARS.concat(IAM_CHARS), 200), iamName(150)).map(([t, v]) => option(t, v)),
      400,
    );
    fc.assert(
      fc.property(opts, str(PROSE_CHARS.concat(IAM_CHARS), 20, 0), (all, query) => {
        const answer = filterOptions(all, query);
        expect(optionsResponseViolations({ options: answer })).toEqual([]);
        for (const o of answer) {
          expect(all).toContain(o);
          const q = query.trim().toLowerCase();
          expect(`${o.text.text}\n${o.value}`.toLowerCase()).toContain(q);
        }
        if (!query.trim()) expect(answer).toHaveLength(Math.min(all.length, 100));
      }),
      RUNS,
    );
  });
});
