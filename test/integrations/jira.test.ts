import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config.js';
import type { FindingRecord } from '../../src/core/detect/history.js';
import { analyze, type Finding } from '../../src/core/detect/inactivity.js';
import {
  closeResolvedTickets,
  createJiraClient,
  type JiraConfig,
  syncTickets,
} from '../../src/integrations/jira.js';
import { type FakeJira, startFakeJira } from '../helpers/fake-jira.js';

const EMAIL = 'bot@example.com';
const TOKEN = 'jira-token-not-real';
const NOW = new Date('2026-06-01T00:00:00Z');

function findings(n: number): Finding[] {
  const rows = Array.from({ length: n }, (_, i) => ({
    user: `user${i}`,
    arn: `arn:aws:iam::111111111111:user/user${i}`,
    user_creation_time: '2024-01-01T00:00:00+00:00',
    password_enabled: 'true',
    password_last_used: i % 2 === 0 ? '2025-01-01T00:00:00+00:00' : 'N/A',
    password_last_changed: 'N/A',
    password_next_rotation: 'N/A',
    mfa_active: 'false',
    access_key_1_active: 'true',
    access_key_1_last_rotated: '2024-01-01T00:00:00+00:00',
    access_key_1_last_used_date: 'N/A',
    access_key_2_active: 'false',
    access_key_2_last_rotated: 'N/A',
    access_key_2_last_used_date: 'N/A',
  }));
  const facts = new Map(
    rows.map((r) => [
      r.user,
      { email: `${r.user}@example.com`, department: 'Eng', manager: 'm@example.com' },
    ]),
  );
  return analyze({ id: '111111111111', name: 'security' }, rows, facts, NOW, {
    console_days: 90,
    access_key_days: 180,
    severities: {},
    soc2_controls: {},
  });
}

describe('Jira ticket sync against a fake Jira', () => {
  let fake: FakeJira;
  let jira: JiraConfig;
  let client: ReturnType<typeof createJiraClient>['client'];

  beforeAll(async () => {
    fake = await startFakeJira({ email: EMAIL, apiToken: TOKEN, pageSize: 20 });
    const made = createJiraClient({
      jira: { base_url: fake.url, project_key: 'SEC', issue_type: 'Task' },
      env: parseEnv({ JIRA_EMAIL: EMAIL, JIRA_API_TOKEN: TOKEN }),
    });
    client = made.client;
    jira = made.jira;
  });
  afterAll(() => fake.stop());

  it('creates one ticket per HIGH finding with the fields and labels, then none on a second run', async () => {
    const all = findings(120);
    const high = all.filter((f) => f.severity === 'HIGH');
    expect(high).toHaveLength(120);

    const first = await syncTickets(client, jira, all, { minSeverity: 'HIGH' });
    expect(first.created).toHaveLength(120);
    expect(first.belowSeverity).toBe(120); // the MEDIUM key findings
    expect(fake.issues).toHaveLength(120);

    const searches = fake.requests.filter((r) => r.path === '/rest/api/3/search/jql');
    expect(searches).toHaveLength(3); // 120 ids in chunks of 50, not one search per finding
    for (const r of fake.requests)
      expect(r.auth).toBe(`Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')}`);
    expect(String(searches[0]?.body?.jql)).toMatch(/^project = "SEC" AND labels in \("fnd-[0-9a-f]{16}", /);
    expect(String(searches[0]?.body?.jql)).toMatch(/AND statusCategory != Done$/);

    const f = high[0] as Finding;
    const issue = fake.issues.find((i) => i.fields.labels.includes(f.id));
    expect(issue?.fields).toMatchObject({
      project: { key: 'SEC' },
      issuetype: { name: 'Task' },
      priority: { name: 'High' },
    });
    expect(issue?.fields.labels).toEqual([
      'SOC2',
      'InactiveUser',
      'Security',
      'AccessReview',
      'CC6.1',
      'CC6.2',
      'CC6.3',
      f.id,
    ]);
    expect(issue?.fields.summary).toContain(f.userName);
    const adf = JSON.stringify(issue?.fields.description);
    expect(adf).toContain('"type":"doc"');
    expect(adf).toContain(f.email);
    expect(adf).toContain(f.remediation);
    expect(first.created[0]?.url).toBe(`${fake.url}/browse/${first.created[0]?.key}`);

    const before = fake.requests.length;
    const second = await syncTickets(client, jira, all, { minSeverity: 'HIGH' });
    expect(second.created).toHaveLength(0);
    expect(second.existing).toHaveLength(120);
    expect(fake.issues).toHaveLength(120);
    expect(fake.requests.slice(before).every((r) => r.path === '/rest/api/3/search/jql')).toBe(true);
  });

  it('opens a new ticket when the old one is Done, and dry-run creates nothing', async () => {
    const one = findings(1).filter((f) => f.severity === 'HIGH');
    const existing = fake.issues.find((i) => i.fields.labels.includes(one[0]?.id ?? ''));
    fake.close(existing?.key ?? '');
    const count = fake.issues.length;
    const dry = await syncTickets(client, jira, one, { minSeverity: 'HIGH', dryRun: true });
    expect(dry.created.map((c) => c.findingId)).toEqual([one[0]?.id]);
    expect(fake.issues).toHaveLength(count);
    const real = await syncTickets(client, jira, one, { minSeverity: 'HIGH' });
    expect(real.created).toHaveLength(1);
    expect(fake.issues).toHaveLength(count + 1);
  });

  it('lowers the bar with ticket_min_severity MEDIUM', async () => {
    const r = await syncTickets(client, jira, findings(2), { minSeverity: 'MEDIUM', dryRun: true });
    expect(r.belowSeverity).toBe(0);
    expect(r.created.length + r.existing.length).toBe(4);
  });

  it('refuses without an API token, naming what is missing', () => {
    expect(() =>
      createJiraClient({
        jira: { base_url: fake.url, project_key: 'SEC', issue_type: 'Task' },
        env: parseEnv({}),
      }),
    ).toThrow(/JIRA_API_TOKEN/);
  });
});

describe('closing the tickets of resolved findings', () => {
  it('comments and moves each open ticket through the Done transition it looks up, whatever its id', async () => {
    // A workflow whose Done is called "Closed", id 71, reached only from here: nothing hard-coded passes.
    const fake = await startFakeJira({
      email: EMAIL,
      apiToken: TOKEN,
      transitions: [
        { id: '21', name: 'In Progress', category: 'indeterminate' },
        { id: '71', name: 'Closed', category: 'done' },
      ],
    });
    try {
      const { client, jira } = createJiraClient({
        jira: { base_url: fake.url, project_key: 'SEC', issue_type: 'Task' },
        env: parseEnv({ SLACK_BOT_TOKEN: 'x', JIRA_EMAIL: EMAIL, JIRA_API_TOKEN: TOKEN }),
      });
      const all = findings(4).filter((f) => f.severity === 'HIGH');
      await syncTickets(client, jira, all, { minSeverity: 'HIGH' });
      const [gone, stays] = all as [Finding, Finding];
      const resolvedRecord = (finding: Finding, text: string): FindingRecord => ({
        finding: { ...finding, status: 'RESOLVED' },
        status: 'RESOLVED',
        firstSeen: '2026-05-01T00:00:00.000Z',
        lastSeen: '2026-05-01T00:00:00.000Z',
        settings: 'console_days=90,access_key_days=180',
        resolvedAt: '2026-06-01T00:00:00.000Z',
        resolution: { reason: 'user-deleted', text },
      });
      const out = await closeResolvedTickets(client, jira, [
        resolvedRecord(gone, 'IAM user user0 no longer exists (deleted)'),
        resolvedRecord({ ...stays, id: 'fnd-without-ticket' }, 'x'),
      ]);
      const ticket = fake.issues.find((i) => i.fields.labels.includes(gone.id));
      expect(out).toEqual({
        dryRun: false,
        closed: [{ findingId: gone.id, key: ticket?.key, url: `${fake.url}/browse/${ticket?.key}` }],
        noDoneTransition: [],
        failed: [],
      });
      expect(ticket?.statusCategory).toBe('done');
      expect(JSON.stringify(ticket?.comments)).toContain('IAM user user0 no longer exists (deleted)');
      expect(fake.issues.find((i) => i.fields.labels.includes(stays.id))?.statusCategory).toBe('new');
      expect(
        fake.requests.filter((r) => r.path.endsWith('/transitions') && r.method === 'POST'),
      ).toHaveLength(1);
      // Done already: a second pass finds no open ticket and sends nothing.
      const before = fake.requests.length;
      const again = await closeResolvedTickets(client, jira, [resolvedRecord(gone, 'x')]);
      expect(again.closed).toEqual([]);
      expect(fake.requests.slice(before).every((r) => r.path.endsWith('/search/jql'))).toBe(true);
    } finally {
      await fake.stop();
    }
  });
});
