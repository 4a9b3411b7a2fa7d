import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
} from '@aws-sdk/client-iam';
import { WebClient } from '@slack/web-api';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, parseEnv, parseFileConfig } from '../../src/config.js';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import { CSV_COLUMNS, summarize } from '../../src/core/detect/findings-report.js';
import { analyze } from '../../src/core/detect/inactivity.js';
import type { AccountScan, ScanResult } from '../../src/core/detect/scan.js';
import { Auditor, bindCore, MemoryAuditSink } from '../../src/core/index.js';
import type { Deps } from '../../src/deps.js';
import { runDigest } from '../../src/flows/digest.js';
import { inactiveDigest } from '../../src/jobs/digest.js';
import { runJob } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/logger.js';
import { Drain } from '../../src/slack/drain.js';
import {
  DIGEST_TICKETS_BLOCK,
  digestMessage,
  findingActionsBlockId,
  findingBlockId,
  TOP_FINDINGS,
} from '../../src/views/digest.js';
import { MESSAGE_MAX_BLOCKS as MAX_BLOCKS } from '../../src/views/limits.js';
import { CHART_HEIGHT, CHART_SCALE, CHART_WIDTH } from '../../src/views/trend-chart.js';
import { type FakeJira, startFakeJira } from '../helpers/fake-jira.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';
import { redisStore } from '../helpers/store.js';

const NOW = new Date('2026-06-01T00:00:00Z');

function bigResult(findingsPerAccount: number, accounts: number): ScanResult {
  const settings = { console_days: 90, access_key_days: 180, severities: {}, soc2_controls: {} };
  const scans: AccountScan[] = [];
  for (let a = 0; a < accounts; a++) {
    const id = String(100_000_000_000 + a);
    if (a % 50 === 7) {
      scans.push({
        accountId: id,
        accountName: `acct-${a}`,
        region: 'us-east-1',
        ok: false,
        error: { code: 'ACCOUNT_FAILED', message: `cannot assume role <!channel> ${'x'.repeat(500)}` },
        userCount: 0,
        findings: [],
        iamCalls: 0,
      });
      continue;
    }
    const rows = Array.from({ length: findingsPerAccount }, (_, i) => ({
      user: i === 0 ? '<!channel>&evil' : `user-${a}-${i}-${'n'.repeat(40)}`,
      arn: `arn:aws:iam::${id}:user/u${i}`,
      user_creation_time: '2020-01-01T00:00:00+00:00',
      password_enabled: 'true',
      password_last_used: i % 3 === 0 ? 'N/A' : '2025-01-01T00:00:00+00:00',
      password_last_changed: 'N/A',
      password_next_rotation: 'N/A',
      mfa_active: 'false',
      access_key_1_active: 'false',
      access_key_1_last_rotated: 'N/A',
      access_key_1_last_used_date: 'N/A',
      access_key_2_active: 'false',
      access_key_2_last_rotated: 'N/A',
      access_key_2_last_used_date: 'N/A',
    }));
    const findings = analyze({ id, name: `acct-${a}` }, rows, new Map(), NOW, settings);
    scans.push({
      accountId: id,
      accountName: `acct-${a}`,
      region: 'us-east-1',
      ok: true,
      generatedAt: new Date(NOW.getTime() - 3 * 3_600_000),
      userCount: findingsPerAccount,
      findings,
      iamCalls: 8,
    });
  }
  return {
    analysisDate: NOW,
    settings,
    accounts: scans,
    findings: scans.flatMap((s) => s.findings),
  };
}

function texts(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) texts(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'text' && typeof v === 'string') out.push(v);
      else texts(v, out);
    }
  }
  return out;
}

describe('digest view', () => {
  it('stays within Slack limits with 5,000 findings over 200 accounts, room left for remediation buttons', () => {
    const result = bigResult(25, 200);
    expect(result.findings.length).toBe(25 * 196);
    expect(result.findings.length).toBeGreaterThanOrEqual(4_900);
    const tickets = new Map(
      result.findings.map((f, i) => [f.id, { key: `SEC-${i}`, url: `https://jira.example/browse/SEC-${i}` }]),
    );
    // Every finding also resolved once, and every ticket closed: the change block stays one block.
    const resolved = result.findings.map((finding) => ({
      finding: { ...finding, status: 'RESOLVED' as const },
      status: 'RESOLVED' as const,
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-02-01T00:00:00.000Z',
      settings: 'x',
      resolvedAt: '2026-03-01T00:00:00.000Z',
      resolution: { reason: 'user-deleted' as const, text: `IAM user <!channel> ${'x'.repeat(200)} deleted` },
    }));
    const msg = digestMessage({
      result,
      summary: summarize(result.findings),
      tickets,
      ticketNote: 'Jira: 4900 new ticket(s)',
      remediation: true,
      change: {
        since: '2026-05-01T09:00:00.000Z',
        newIds: new Set(result.findings.slice(0, 7).map((f) => f.id)),
        resolved,
        stillOpen: result.findings.length - 7,
        oldestFirstSeen: '2026-01-01T00:00:00.000Z',
        closedTickets: tickets,
      },
    });
    expect(msg.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
    for (const t of texts(msg.blocks)) expect(t.length).toBeLessThanOrEqual(3000);
    expect(msg.text.length).toBeLessThanOrEqual(3000);
    // one block per top finding, keyed by its Finding_ID
    const ids = msg.blocks
      .map((b) => b.block_id)
      .filter((id): id is string => Boolean(id?.startsWith('finding:')));
    expect(ids).toEqual(result.findings.slice(0, TOP_FINDINGS).map((f) => findingBlockId(f.id)));
    // with the remediation buttons under each top finding: still within the limit
    expect(msg.blocks.filter((b) => b.block_id?.startsWith('finding-actions:'))).toHaveLength(ids.length);
    expect(findingActionsBlockId('fnd-1')).toBe('finding-actions:fnd-1');
    const all = texts(msg.blocks).join('\n');
    expect(all).toContain('more finding(s) in the attached CSV and JSON');
    expect(all).toContain('more account(s) in the JSON report');
    expect(all).toContain('&lt;!channel&gt;&amp;evil');
    expect(all).not.toContain('<!channel>');
    expect(all).toMatch(/<https:\/\/jira\.example\/browse\/SEC-0\|SEC-0>/);
    expect(all).toMatch(/not analysed/); // failed accounts are listed first
    expect(msg.blocks.some((b) => b.block_id === DIGEST_TICKETS_BLOCK)).toBe(true);
    const change = texts(msg.blocks.filter((b) => b.block_id === 'digest:change')).join('');
    expect(change).toContain(':new: 7 new · :white_check_mark: 4,900 resolved · 4,893 still open');
    expect(change).toContain('more resolved in the CSV/JSON');
    expect(all.match(/:new:/g)).toHaveLength(1 + 7); // the summary's count, and each new top finding
  });

  it('says so plainly when there is nothing to report', () => {
    const empty: ScanResult = { ...bigResult(0, 1) };
    const msg = digestMessage({ result: empty, summary: summarize([]) });
    expect(texts(msg.blocks).join('\n')).toMatch(/No inactive console users or access keys/);
  });
});

describe('digest job against moto, a fake Slack and a fake Jira', () => {
  let moto: Moto;
  let slack: FakeSlack;
  let jira: FakeJira;
  let config: Config;

  beforeAll(async () => {
    moto = await startMoto();
    slack = await new FakeSlack().start();
    jira = await startFakeJira({ email: 'bot@example.com', apiToken: 'tok' });
    const iam = moto.iam();
    await iam.send(
      new CreateUserCommand({
        UserName: 'never-logged-in',
        Tags: [{ Key: 'Email', Value: 'n@example.com' }],
      }),
    );
    await iam.send(
      new CreateLoginProfileCommand({ UserName: 'never-logged-in', Password: 'Initial-Passw0rd!' }),
    );
    await iam.send(new CreateUserCommand({ UserName: 'idle-key' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'idle-key' }));
    config = {
      ...parseFileConfig(
        {
          accounts: [{ id: MOTO_ACCOUNT, name: 'home' }],
          templates: {},
          slack: { digest_channel: 'C0SECDIGEST' },
          jira: { base_url: jira.url, project_key: 'SEC', email: 'bot@example.com' },
        },
        'test',
      ),
      source: 'test',
      env: parseEnv({ JIRA_API_TOKEN: 'tok' }),
    };
  });
  afterAll(async () => {
    await moto?.stop();
    await slack?.stop();
    await jira?.stop();
  });

  async function deps(prefix?: string, days = 200): Promise<Deps> {
    const clock = fixedClock(new Date(Date.now() + days * DAY_MS));
    const clients = moto.clients(config.accounts, { clock });
    const core = bindCore({
      config,
      clients,
      auditor: new Auditor(new MemoryAuditSink(), clock, silentLogger()),
      clock,
      logger: silentLogger(),
      sleep: async () => undefined,
    });
    // The digest needs no roles and no ack gate: the rest of Deps is never read.
    return {
      config,
      core,
      store: await redisStore(prefix),
      clock,
      logger: silentLogger(),
      client: new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl }),
      drain: new Drain(),
    } as unknown as Deps;
  }

  it('posts the summary with ticket links and attaches the CSV and JSON; a second run opens no new ticket', async () => {
    const d = await deps();
    const out = await runDigest(d);
    expect(out).toMatchObject({ channel: 'C0SECDIGEST', findings: 2, failedAccounts: 0, ticketsCreated: 1 });

    const post = slack.callsTo('chat.postMessage')[0];
    expect(post?.body.channel).toBe('C0SECDIGEST');
    const blocks = post?.body.blocks as { block_id?: string }[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    const all = texts(blocks).join('\n');
    expect(all).toContain('never-logged-in');
    expect(all).toMatch(/credential reports generated 2015-02-02/);
    expect(all).toContain(`<${jira.url}/browse/SEC-1|SEC-1>`);
    expect(blocks.filter((b) => b.block_id?.startsWith('finding:'))).toHaveLength(2);

    const complete = slack.callsTo('files.completeUploadExternal')[0];
    expect(complete?.body.channel_id).toBe('C0SECDIGEST');
    expect(((complete?.body.files ?? []) as { title: string }[]).map((f) => f.title)).toEqual([
      'Findings by severity, last 12 runs',
      expect.stringMatching(/CSV/),
      expect.stringMatching(/JSON/),
    ]);
    const uploaded = [...slack.uploads.values()].map((b) => b.toString('utf8'));
    const csv = uploaded.find((u) => u.startsWith('Finding_ID')) ?? '';
    expect((parse(csv) as string[][])[0]).toEqual([...CSV_COLUMNS]);
    const json = JSON.parse(uploaded.find((u) => u.startsWith('{')) ?? '{}');
    expect(json.summary).toEqual({
      total_findings: 2,
      high_severity: 1,
      medium_severity: 1,
      low_severity: 0,
    });

    expect(jira.issues).toHaveLength(1);
    const again = await runDigest(d);
    expect(again?.ticketsCreated).toBe(0);
    expect(jira.issues).toHaveLength(1);
    await d.store.close();
  });

  it('runs on one replica only when two share Redis, including one that fires late for the same tick', async () => {
    slack.reset();
    const prefix = `t:digest:${Math.random().toString(36).slice(2)}:`;
    const [a, b] = [await deps(prefix), await deps(prefix)];
    const tick = new Date('2026-12-01T09:00:00Z');
    const outcomes = await Promise.all([
      runJob(inactiveDigest, a, { tick }),
      runJob(inactiveDigest, b, { tick }),
    ]);
    expect(outcomes.sort()).toEqual(['ran', 'skipped']);
    // The slower clock's replica fires a second later, after the run finished: still nothing.
    expect(await runJob(inactiveDigest, b, { tick })).toBe('skipped');
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(inactiveDigest.schedule(config)).toBe('0 9 1 * *');
    await a.store.close();
    await b.store.close();
  });

  it('shows what changed since the last digest and attaches the trend of the recorded runs as a PNG', async () => {
    slack.reset();
    const prefix = `t:digest-history:${Math.random().toString(36).slice(2)}:`;
    const iam = moto.iam();
    await iam.send(new CreateUserCommand({ UserName: 'leaver' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'leaver', Password: 'Initial-Passw0rd!' }));
    const first = await deps(prefix, 200);
    const one = await runDigest(first);
    expect(one).toMatchObject({ findings: 3, newFindings: 3, resolvedFindings: 0, ticketsClosed: 0 });
    const leaverTicket = jira.issues.find((i) => i.fields.summary.includes('leaver'));
    expect(leaverTicket?.statusCategory).toBe('new');

    // Between the digests: the leaver is deleted, and a CLI scan of the same account is recorded too.
    await iam.send(new DeleteLoginProfileCommand({ UserName: 'leaver' }));
    await iam.send(new DeleteUserCommand({ UserName: 'leaver' }));
    const between = await deps(prefix, 200.5);
    await between.core.scan({ history: { store: between.store.history, source: 'cli' } });
    await first.store.close();
    await between.store.close();

    slack.reset();
    const second = await deps(prefix, 201);
    const two = await runDigest(second);
    expect(two).toMatchObject({ findings: 2, newFindings: 0, resolvedFindings: 1, ticketsClosed: 1 });
    const blocks = slack.callsTo('chat.postMessage')[0]?.body.blocks as { block_id?: string }[];
    const change = texts(blocks.filter((b) => b.block_id === 'digest:change')).join('\n');
    expect(change).toContain(':new: 0 new · :white_check_mark: 1 resolved · 2 still open');
    expect(change).toContain(
      '*leaver* in home `CONSOLE_NEVER_USED`: IAM user leaver no longer exists (deleted)',
    );
    expect(change).toContain(`<${jira.url}/browse/${leaverTicket?.key}|${leaverTicket?.key}> closed`);
    expect(leaverTicket?.statusCategory).toBe('done');
    expect(JSON.stringify(leaverTicket?.comments)).toContain('IAM user leaver no longer exists (deleted)');

    // The PNG: first of the uploads, shown inline; it decodes to the chart's size, and its data is the
    // three recorded runs (digest, CLI, digest) over this account, the deleted user's finding gone.
    const files = (slack.callsTo('files.completeUploadExternal')[0]?.body.files ?? []) as {
      id: string;
      title: string;
    }[];
    expect(files.map((f) => f.title)).toEqual([
      'Findings by severity, last 12 runs',
      expect.stringMatching(/CSV/),
      expect.stringMatching(/JSON/),
    ]);
    const png = slack.uploads.get(files[0]?.id ?? '') as Buffer;
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([
      CHART_WIDTH * CHART_SCALE,
      CHART_HEIGHT * CHART_SCALE,
    ]);
    expect(two?.chart).toEqual({
      width: CHART_WIDTH * CHART_SCALE,
      height: CHART_HEIGHT * CHART_SCALE,
      points: 3,
    });
    // alt_text travels with files.getUploadURLExternal, as Slack's API takes it.
    const alt = slack
      .callsTo('files.getUploadURLExternal')
      .find((c) => String(c.body.filename).endsWith('.png'))?.body.alt_text;
    expect(alt).toMatch(/Runs, oldest first: .* 2\/1\/0; .* 1\/1\/0; .* 1\/1\/0 \(HIGH\/MEDIUM\/LOW\)/);
    // The CSV lists the resolved finding after the open ones, with Status RESOLVED.
    const csv = [...slack.uploads.values()]
      .map((b) => b.toString('utf8'))
      .find((u) => u.startsWith('Finding_ID'));
    const rows = parse(csv ?? '', { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.Username, r.Status])).toEqual([
      ['never-logged-in', 'OPEN'],
      ['idle-key', 'OPEN'],
      ['leaver', 'RESOLVED'],
    ]);
    await second.store.close();
  });
});
