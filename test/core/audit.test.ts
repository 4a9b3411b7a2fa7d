import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuditEvent, Auditor, audited, MemoryAuditSink, scrubSecretText } from '../../src/core/audit.js';
import { fixedClock } from '../../src/core/clock.js';
import { createAccessKey } from '../../src/core/keys.js';
import { createUser } from '../../src/core/users/create.js';
import { offboardUser } from '../../src/core/users/offboard.js';
import { createLogger } from '../../src/logger.js';
import { createGroups, type TestCtx, testCtx, who } from '../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';

/** A pino logger writing into a string, at `level`. */
function capture(level: string) {
  let text = '';
  const logger = createLogger(level, {
    write(chunk: string) {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WritableStream);
  const lines = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, text: () => text };
}

const auditLines = (lines: Record<string, unknown>[]) => lines.filter((l) => l.audit === true);

describe('audit log lines (moto)', () => {
  let moto: Moto;
  let ctx: TestCtx;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    ctx = testCtx(moto, { clock: fixedClock(new Date('2026-03-01T10:00:00Z')) });
    await createGroups(ctx.clients.iam(MOTO_ACCOUNT), ['Developers', 'ReadOnly']);
  });

  it('writes exactly one line per event, carrying the event, and never a secret from the operation', async () => {
    const created = await createUser(
      ctx,
      {
        account: MOTO_ACCOUNT,
        username: 'sam',
        email: 'sam@example.com',
        template: 'developer',
        department: 'Eng',
      },
      who,
    );
    const key = await createAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    // A failure: the same name with a different configuration.
    await createUser(
      ctx,
      {
        account: MOTO_ACCOUNT,
        username: 'sam',
        email: 'sam@example.com',
        template: 'developer',
        department: 'Ops',
      },
      who,
    ).catch(() => undefined);
    await offboardUser(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);

    const events = ctx.sink.events;
    expect(events.length).toBeGreaterThanOrEqual(4);
    const lines = auditLines(
      ctx
        .logs()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
    expect(lines).toHaveLength(events.length);
    for (const [i, e] of events.entries()) {
      const line = lines[i] as Record<string, unknown>;
      const { audit, level, time, app, pid, hostname, msg, ...fields } = line;
      expect({ audit, level, msg }).toEqual({
        audit: true,
        level: 30,
        msg: `audit: ${e.action} ${e.outcome}`,
      });
      expect(fields).toEqual(JSON.parse(JSON.stringify(e)));
    }
    expect(events.map((e) => e.outcome)).toContain('failure');
    const logs = ctx.logs();
    if (created.password) expect(logs).not.toContain(created.password);
    expect(logs).not.toContain(key.secretAccessKey);
  });
});

describe('Auditor.record', () => {
  const clock = fixedClock(new Date('2026-03-01T10:00:00Z'));
  const input = {
    actor: 'U1',
    action: 'create-user',
    account: '123456789012',
    target: 'sam',
    outcome: 'success' as const,
    requestId: 'r1',
  };

  it('still writes the line, and an error line, when the store append fails; the operation goes on', async () => {
    const cap = capture('info');
    const sink = {
      append: async (_e: AuditEvent) => {
        throw new Error('redis: connection refused');
      },
    };
    const event = await new Auditor(sink, clock, cap.logger).record(input);
    const lines = cap.lines();
    expect(auditLines(lines)).toEqual([expect.objectContaining({ ...input, id: event.id, ts: event.ts })]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        auditStoreFailed: true,
        eventId: event.id,
        err: 'redis: connection refused',
      }),
    );
  });

  it('writes its lines at info even when LOG_LEVEL is warn, and not when the logger is silent', async () => {
    const warn = capture('warn');
    await new Auditor(new MemoryAuditSink(), clock, warn.logger).record(input);
    expect(auditLines(warn.lines())).toHaveLength(1);
    const silent = capture('silent');
    await new Auditor(new MemoryAuditSink(), clock, silent.logger).record(input);
    expect(silent.text()).toBe('');
  });

  it('keeps secret-shaped text out of an error, in the store and the line alike', async () => {
    const cap = capture('info');
    const sink = new MemoryAuditSink();
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const error = [
      "1 validation error detected: Value 'Hunter2!Hunter2!Hunter2' at 'password' failed to satisfy constraint",
      `key ${secret} rejected`,
      'otpauth://totp/aws-user:sam?secret=JBSWY3DPEHPK3PXP&issuer=aws-user',
    ].join('; ');
    await new Auditor(sink, clock, cap.logger).record({ ...input, outcome: 'failure', error });
    const stored = sink.events[0]?.error ?? '';
    for (const text of [stored, cap.text()]) {
      expect(text).not.toContain('Hunter2');
      expect(text).not.toContain(secret);
      expect(text).not.toContain('JBSWY3DPEHPK3PXP');
    }
    expect(stored).toContain("at 'password' failed to satisfy constraint");
    // Ordinary text stays as it is.
    const arn = 'arn:aws:iam::123456789012:policy/team/ReadOnlyAccessForAnalytics2026';
    expect(scrubSecretText(`NoSuchEntity: ${arn} not found`)).toBe(`NoSuchEntity: ${arn} not found`);
  });

  it('refuses secret-bearing details before writing anything', async () => {
    const cap = capture('info');
    const sink = new MemoryAuditSink();
    await expect(
      new Auditor(sink, clock, cap.logger).record({ ...input, details: { password: 'x' } }),
    ).rejects.toThrow(/secret-bearing/);
    expect(cap.text()).toBe('');
    expect(sink.events).toHaveLength(0);
  });
});

describe('audited() when the store is down', () => {
  it('rethrows the operation’s own error, not the store’s, and its failure event still has a log line', async () => {
    const cap = capture('info');
    const down = {
      append: async () => {
        throw new Error('store down');
      },
    };
    const ctx = { auditor: new Auditor(down, fixedClock(new Date('2026-03-01T10:00:00Z')), cap.logger) };
    const scope = { action: 'create-user', account: '123456789012', target: 'sam' };
    const err = await audited(ctx, who, scope, async () => {
      throw new Error('EntityAlreadyExists');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('EntityAlreadyExists');
    expect(auditLines(cap.lines())).toEqual([
      expect.objectContaining({ ...scope, outcome: 'failure', error: 'EntityAlreadyExists' }),
    ]);
    // A success is returned as such: the change is made in AWS, the trail's gap is in the log at error.
    expect(await audited(ctx, who, scope, async () => ({ result: 'done' }))).toBe('done');
    expect(cap.lines().filter((l) => l.auditStoreFailed === true)).toHaveLength(2);
  });
});
