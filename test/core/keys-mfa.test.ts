import {
  CreateAccessKeyCommand,
  GetAccountPasswordPolicyCommand,
  ListAccessKeysCommand,
  ListVirtualMFADevicesCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock } from '../../src/core/clock.js';
import { createAccessKey, rotateAccessKey, rotateOldKeys, sweepKeyRotations } from '../../src/core/keys.js';
import {
  abandonMfaEnrollment,
  completeMfaEnrollment,
  deactivateMfa,
  listMfaDevices,
  otpauthUri,
  startMfaEnrollment,
  sweepAbandonedMfa,
} from '../../src/core/mfa.js';
import { applyPasswordPolicy, generatePassword, satisfiesPolicy } from '../../src/core/password.js';
import { createUser } from '../../src/core/users/create.js';
import { describeUser } from '../../src/core/users/describe.js';
import { ConflictError, LimitError, ValidationError } from '../../src/errors.js';
import { createGroups, MUTATING, seedOf, type TestCtx, testCtx, totpCode, who } from '../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../helpers/moto.js';

let moto: Moto;
let ctx: TestCtx;
let clock: ReturnType<typeof fixedClock>;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  clock = fixedClock(new Date());
  ctx = testCtx(moto, { clock });
  await createGroups(ctx.clients.iam(MOTO_ACCOUNT), ['Developers', 'ReadOnly']);
  await createUser(
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
  ctx.commands.length = 0;
});

describe('access keys', () => {
  it('creates up to 2 keys, then refuses clearly', async () => {
    await createAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    await createAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    const err = await createAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who).catch((e) => e);
    expect(err).toBeInstanceOf(LimitError);
    expect(err.message).toMatch(/2 access keys.*rotate-keys or delete/);
  });

  it('rotates with overlap: new key now, old key deactivated after grace and deleted after the second period', async () => {
    const first = await createAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    const r = await rotateAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    expect(r.newKey?.accessKeyId).toBeTruthy();
    expect(r.oldKeyIds).toEqual([first.accessKeyId]);
    expect(new Date(r.deactivateAt).getTime() - clock.now().getTime()).toBe(7 * DAY_MS);
    expect(new Date(r.deleteAt).getTime() - clock.now().getTime()).toBe(21 * DAY_MS);
    const snap = await describeUser(ctx, MOTO_ACCOUNT, 'sam');
    expect(snap.tags[`aws-user:rotate:${first.accessKeyId}`]).toBe(`${r.deactivateAt}/${r.deleteAt}`);

    // a second rotation while both keys are active refuses
    await expect(
      rotateAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who),
    ).rejects.toBeInstanceOf(LimitError);

    expect(await sweepKeyRotations(ctx, {}, who)).toEqual({ deactivated: [], deleted: [], failed: [] });
    clock.advance(8 * DAY_MS);
    expect(await sweepKeyRotations(ctx, {}, who)).toEqual({
      deactivated: [first.accessKeyId],
      deleted: [],
      failed: [],
    });
    expect(await sweepKeyRotations(ctx, {}, who)).toEqual({ deactivated: [], deleted: [], failed: [] });
    clock.advance(14 * DAY_MS);
    expect(await sweepKeyRotations(ctx, {}, who)).toEqual({
      deactivated: [],
      deleted: [first.accessKeyId],
      failed: [],
    });
    const keys = await ctx.clients.iam(MOTO_ACCOUNT).send(new ListAccessKeysCommand({ UserName: 'sam' }));
    expect(keys.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([r.newKey?.accessKeyId]);
    expect(
      Object.keys((await describeUser(ctx, MOTO_ACCOUNT, 'sam')).tags).filter((k) => k.includes('rotate')),
    ).toEqual([]);
  });

  it('with one active and one inactive key, deletes the inactive one and rotates the active one', async () => {
    const a = await createAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    const b = await createAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    await ctx.clients
      .iam(MOTO_ACCOUNT)
      .send(new UpdateAccessKeyCommand({ UserName: 'sam', AccessKeyId: b.accessKeyId, Status: 'Inactive' }));
    const r = await rotateAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    expect(r.plan[0]).toEqual({
      action: 'DeleteAccessKey',
      params: { UserName: 'sam', AccessKeyId: b.accessKeyId },
    });
    expect(r.oldKeyIds).toEqual([a.accessKeyId]);
  });

  it('dry-run rotation plans and makes no mutating call', async () => {
    await createAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    ctx.commands.length = 0;
    const r = await rotateAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who, { dryRun: true });
    expect(r.newKey).toBeUndefined();
    expect(r.plan.map((c) => c.action)).toEqual(['CreateAccessKey', 'TagUser']);
    expect(ctx.commands.filter((c) => MUTATING.test(c))).toEqual([]);
  });

  it('rotates only keys older than N days', async () => {
    await createUser(
      ctx,
      { account: MOTO_ACCOUNT, username: 'kim', email: 'kim@example.com', template: 'developer' },
      who,
    );
    await ctx.clients.iam(MOTO_ACCOUNT).send(new CreateAccessKeyCommand({ UserName: 'sam' }));
    clock.advance(100 * DAY_MS);
    await ctx.clients.iam(MOTO_ACCOUNT).send(new CreateAccessKeyCommand({ UserName: 'kim' })); // moto dates it "now" (real time)
    const r = await rotateOldKeys(ctx, { account: MOTO_ACCOUNT, olderThanDays: 90 }, who);
    expect(r.failed).toEqual([]);
    expect(r.rotated.map((x) => x.username).sort()).toEqual(['kim', 'sam']); // both are "old" relative to the moved clock
    const again = await rotateOldKeys(ctx, { account: MOTO_ACCOUNT, olderThanDays: 90 }, who);
    expect(again.rotated).toEqual([]); // already scheduled keys are skipped
  });
});

describe('virtual MFA', () => {
  it('enrolls with a QR built from the seed and two consecutive TOTP codes, lists and deactivates', async () => {
    const e = await startMfaEnrollment(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    expect(e.serialNumber).toMatch(/:mfa\/sam$/);
    expect(e.qrPng.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a'); // a real PNG
    expect(e.otpauthUri).toMatch(/^otpauth:\/\/totp\/.+secret=[A-Z2-7]+/);
    const uri = e.otpauthUri;
    const now = new Date();
    await expect(
      completeMfaEnrollment(
        ctx,
        {
          account: MOTO_ACCOUNT,
          username: 'sam',
          serialNumber: e.serialNumber,
          code1: '12345',
          code2: '123456',
        },
        who,
      ),
    ).rejects.toMatchObject({ field: 'code1' });
    await completeMfaEnrollment(
      ctx,
      {
        account: MOTO_ACCOUNT,
        username: 'sam',
        serialNumber: e.serialNumber,
        code1: totpCode(uri, now),
        code2: totpCode(uri, now, 1),
      },
      who,
    );
    expect(
      (await listMfaDevices(ctx, { account: MOTO_ACCOUNT, username: 'sam' })).map((d) => d.serialNumber),
    ).toEqual([e.serialNumber]);
    await expect(
      startMfaEnrollment(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who),
    ).rejects.toBeInstanceOf(ConflictError);
    await deactivateMfa(ctx, { account: MOTO_ACCOUNT, username: 'sam', serialNumber: e.serialNumber }, who);
    await deactivateMfa(ctx, { account: MOTO_ACCOUNT, username: 'sam', serialNumber: e.serialNumber }, who); // idempotent
    expect(await listMfaDevices(ctx, { account: MOTO_ACCOUNT, username: 'sam' })).toEqual([]);
    const left = await ctx.clients.iam(MOTO_ACCOUNT).send(new ListVirtualMFADevicesCommand({}));
    expect(left.VirtualMFADevices ?? []).toEqual([]);
  });

  it('abandons an unassigned device idempotently, and a new enrollment replaces a leftover', async () => {
    const e = await startMfaEnrollment(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    const again = await startMfaEnrollment(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who); // leftover replaced
    expect(again.serialNumber).toBe(e.serialNumber);
    await abandonMfaEnrollment(ctx, { account: MOTO_ACCOUNT, serialNumber: e.serialNumber }, who);
    await abandonMfaEnrollment(ctx, { account: MOTO_ACCOUNT, serialNumber: e.serialNumber }, who);
    const left = await ctx.clients.iam(MOTO_ACCOUNT).send(new ListVirtualMFADevicesCommand({}));
    expect(left.VirtualMFADevices ?? []).toEqual([]);
  });

  it('never sweeps a device whose age it cannot tell (moto has no MFA device tags; see aws-stubs)', async () => {
    await startMfaEnrollment(ctx, { account: MOTO_ACCOUNT, username: 'sam' }, who);
    clock.advance(120 * 60_000);
    expect(await sweepAbandonedMfa(ctx, { olderThanMinutes: 30 }, who)).toEqual({ deleted: [], failed: [] });
  });

  it('writes an otpauth URI whose codes match the RFC 6238 test vector', () => {
    // RFC 6238 appendix B, SHA1, seed "12345678901234567890", T=59 s → 94287082 (8 digits) → 287082
    const uri = otpauthUri('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 'rfc@123456789012');
    expect(totpCode(uri, new Date(59_000))).toBe('287082');
    expect(totpCode(uri, new Date(1111111109_000))).toBe('081804');
  });
});

describe('password policy', () => {
  it('applies the config policy once, then is a no-op', async () => {
    const r = await applyPasswordPolicy(ctx, { account: MOTO_ACCOUNT }, who);
    expect(r.changed).toBe(true);
    const p = (await ctx.clients.iam(MOTO_ACCOUNT).send(new GetAccountPasswordPolicyCommand({})))
      .PasswordPolicy;
    expect(p).toMatchObject({
      MinimumPasswordLength: 12,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
      MaxPasswordAge: 90,
      PasswordReusePrevention: 24,
    });
    expect((await applyPasswordPolicy(ctx, { account: MOTO_ACCOUNT }, who)).changed).toBe(false);
  });

  it('dry-run makes no mutating call', async () => {
    const r = await applyPasswordPolicy(ctx, { account: MOTO_ACCOUNT }, who, { dryRun: true });
    expect(r.plan[0]?.action).toBe('UpdateAccountPasswordPolicy');
    expect(ctx.commands.filter((c) => MUTATING.test(c))).toEqual([]);
  });

  it('generates passwords that satisfy the policy', () => {
    for (let i = 0; i < 200; i++) {
      expect(satisfiesPolicy(generatePassword(ctx.config.password_policy), ctx.config.password_policy)).toBe(
        true,
      );
    }
    const long = { ...ctx.config.password_policy, minimum_length: 40 };
    expect(generatePassword(long)).toHaveLength(40);
  });
});

describe('secrets never reach logs or the audit trail', () => {
  it('create, key create/rotate and MFA enrollment keep their secrets to the caller', async () => {
    const created = await createUser(
      ctx,
      { account: MOTO_ACCOUNT, username: 'lee', email: 'lee@example.com', template: 'developer' },
      who,
    );
    const key = await createAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'lee' }, who);
    const rotated = await rotateAccessKey(ctx, { account: MOTO_ACCOUNT, username: 'lee' }, who);
    const mfa = await startMfaEnrollment(ctx, { account: MOTO_ACCOUNT, username: 'lee' }, who);
    const seed = seedOf(mfa.otpauthUri);
    const secrets = [
      created.password,
      key.secretAccessKey,
      rotated.newKey?.secretAccessKey,
      seed,
      mfa.otpauthUri,
      mfa.qrPng.toString('base64').slice(0, 40),
    ];
    const trail = JSON.stringify(ctx.sink.events) + ctx.logs();
    for (const s of secrets) {
      expect(s).toBeTruthy();
      expect(trail).not.toContain(s as string);
    }
    expect(JSON.stringify(created.plan)).not.toContain(created.password as string);
  });

  it('rejects a malformed code before calling IAM', async () => {
    await expect(
      completeMfaEnrollment(
        ctx,
        { account: MOTO_ACCOUNT, username: 'sam', serialNumber: 'arn:x', code1: '111111', code2: '111111' },
        who,
      ),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});
