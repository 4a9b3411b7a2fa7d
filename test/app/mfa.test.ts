import { CreateUserCommand, ListMFADevicesCommand, ListVirtualMFADevicesCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { ValidationError } from '../../src/errors.js';
import { mfaCleanup } from '../../src/jobs/mfa-cleanup.js';
import { MFA_BLOCKS, MFA_CODES_CALLBACK, MFA_OPEN_CODES_ACTION } from '../../src/views/mfa.js';
import { seedSlack, startBot, type TestBot, USERS } from '../helpers/bot.js';
import { seedOf, totpCode } from '../helpers/core.js';
import { type FakeSlack, type RecordedCall, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { buttonClick, sendCommand, sendInteraction, viewSubmission } from '../helpers/slack-requests.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;
const clock = fixedClock(new Date());
/** The seed exists only in the bot's memory and the QR; the test peeks at it to compute real codes. */
let seed = '';
let uri = '';

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});
beforeEach(async () => {
  await t?.stop();
  await moto.reset();
  fake.reset();
  seedSlack(fake);
  clock.set(new Date());
  await moto.iam().send(
    new CreateUserCommand({
      UserName: 'alice',
      Tags: [
        { Key: 'SlackUserId', Value: USERS.alice },
        { Key: 'Email', Value: 'alice@example.com' },
      ],
    }),
  );
  t = await startBot({
    fake,
    moto,
    clock,
    ops: (_ctx, real) => ({
      ...real,
      async startMfaEnrollment(input, who) {
        const out = await real.startMfaEnrollment(input, who);
        uri = out.otpauthUri;
        seed = seedOf(uri);
        return out;
      },
      // moto accepts any codes; AWS does not. Enforce them here the way AWS would.
      async completeMfaEnrollment(input, who) {
        const now = clock.now();
        const ok = [-1, 0].some(
          (o) => input.code1 === totpCode(uri, now, o - 1) && input.code2 === totpCode(uri, now, o),
        );
        if (!ok) throw new ValidationError('codes', 'the codes did not match this device');
        return real.completeMfaEnrollment(input, who);
      },
    }),
  });
});

function promptDm(): Promise<RecordedCall> {
  return fake.waitForCall('chat.postMessage', (c) =>
    JSON.stringify(c.body.blocks ?? '').includes(MFA_OPEN_CODES_ACTION),
  );
}

function enrollmentIdFrom(call: RecordedCall): string {
  const blocks = call.body.blocks as { elements?: { action_id: string; value: string }[] }[];
  return blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === MFA_OPEN_CODES_ACTION)
    ?.value as string;
}

function submitCodes(user: string, id: string, code1: string, code2: string) {
  return sendInteraction(
    t.url,
    viewSubmission({
      user,
      callbackId: MFA_CODES_CALLBACK,
      privateMetadata: id,
      values: {
        [MFA_BLOCKS.code1]: { [MFA_BLOCKS.code1]: { type: 'plain_text_input', value: code1 } },
        [MFA_BLOCKS.code2]: { [MFA_BLOCKS.code2]: { type: 'plain_text_input', value: code2 } },
      },
    }),
  );
}

describe('/aws-user mfa', () => {
  it('uploads the QR to the owner’s DM, enables the device from two codes, then deletes the QR', async () => {
    const res = await sendCommand(t.url, {
      text: 'mfa',
      user_id: USERS.alice,
      response_url: fake.responseUrl('mfa'),
    });
    expect(res.status).toBe(200);
    const complete = await fake.waitForCall('files.completeUploadExternal');
    expect(complete.body.channel_id).toBe(`D${USERS.alice}`);
    const fileId = (complete.body.files as { id: string }[])[0]?.id as string;
    expect(fake.uploads.get(fileId)?.subarray(0, 4).toString('latin1')).toBe('\x89PNG');
    const prompt = await promptDm();
    expect(prompt.body.channel).toBe(`D${USERS.alice}`);
    const id = enrollmentIdFrom(prompt);

    const stored = await t.store.getMfa(id);
    expect(Object.keys(stored ?? {}).sort()).toEqual(
      [
        'account',
        'channel',
        'fileId',
        'id',
        'owner',
        'serialNumber',
        'startedAt',
        'startedBy',
        'username',
      ].sort(),
    );
    expect(JSON.stringify(stored)).not.toContain(seed);

    await sendInteraction(
      t.url,
      buttonClick({
        user: USERS.alice,
        actionId: MFA_OPEN_CODES_ACTION,
        value: id,
        channel: `D${USERS.alice}`,
      }),
    );
    const open = await fake.waitForCall('views.open');
    expect((open.body.view as { callback_id: string }).callback_id).toBe(MFA_CODES_CALLBACK);

    const bad = await submitCodes(USERS.alice, id, '123456', '654321');
    expect(bad.json()).toMatchObject({
      response_action: 'errors',
      errors: { [MFA_BLOCKS.code1]: expect.stringContaining('did not match') },
    });
    const short = await submitCodes(USERS.alice, id, '12345', '654321');
    expect(short.json()).toMatchObject({
      response_action: 'errors',
      errors: { [MFA_BLOCKS.code1]: expect.any(String) },
    });

    const now = clock.now();
    const good = await submitCodes(USERS.alice, id, totpCode(uri, now, -1), totpCode(uri, now, 0));
    expect(good.status).toBe(200);
    expect(good.text).toBe('');
    await fake.waitForCall('files.delete', (c) => c.body.file === fileId);
    expect(fake.files.has(fileId)).toBe(false);
    const devices = await moto.iam().send(new ListMFADevicesCommand({ UserName: 'alice' }));
    expect(devices.MFADevices).toHaveLength(1);
    expect(await t.store.getMfa(id)).toBeUndefined();
    await fake.waitForCall('chat.postMessage', (c) => String(c.body.text).startsWith('MFA is enabled'));

    const everything =
      JSON.stringify(fake.calls) + t.logs() + JSON.stringify(await t.store.audit.recent({ limit: 50 }));
    expect(everything).not.toContain(seed);
  });

  it('lets an admin start it for someone else, but the QR goes to the owner', async () => {
    await sendCommand(t.url, {
      text: `mfa <@${USERS.alice}|alice>`,
      user_id: USERS.admin,
      response_url: fake.responseUrl('a'),
    });
    const complete = await fake.waitForCall('files.completeUploadExternal');
    expect(complete.body.channel_id).toBe(`D${USERS.alice}`);
    const prompt = await promptDm();
    expect(prompt.body.channel).toBe(`D${USERS.alice}`);
    const reply = await fake.waitForCall('response_url', (c) => c.path === '/response/a');
    expect(reply.body.text).toContain(`went to <@${USERS.alice}>`);
    // Only the owner may enter the codes.
    await sendInteraction(
      t.url,
      buttonClick({
        user: USERS.admin,
        actionId: MFA_OPEN_CODES_ACTION,
        value: enrollmentIdFrom(prompt),
        channel: 'D1',
      }),
    );
    const eph = await fake.waitForCall('chat.postEphemeral', (c) => c.body.user === USERS.admin);
    expect(eph.body.text).toContain('Only the owner');
  });

  it('refuses a non-admin who names someone else’s user', async () => {
    await sendCommand(t.url, {
      text: 'mfa alice',
      user_id: USERS.stranger,
      response_url: fake.responseUrl('s'),
    });
    const reply = await fake.waitForCall('response_url', (c) => c.path === '/response/s');
    expect(reply.body.text).toContain('not your IAM user');
    expect(fake.callsTo('files.getUploadURLExternal')).toEqual([]);
  });

  it('cleans up an enrollment abandoned for more than 15 minutes: device and QR file deleted', async () => {
    await sendCommand(t.url, { text: 'mfa', user_id: USERS.alice, response_url: fake.responseUrl() });
    const prompt = await promptDm();
    const id = enrollmentIdFrom(prompt);
    const fileId = (await t.store.getMfa(id))?.fileId as string;
    const deps = t.deps;

    clock.advance(10 * 60_000);
    await mfaCleanup.run(deps);
    expect(await t.store.getMfa(id)).toBeDefined();

    clock.advance(6 * 60_000);
    await mfaCleanup.run(deps);
    expect(await t.store.getMfa(id)).toBeUndefined();
    expect(fake.callsTo('files.delete').map((c) => c.body.file)).toEqual([fileId]);
    const left = await moto.iam().send(new ListVirtualMFADevicesCommand({}));
    expect(left.VirtualMFADevices ?? []).toEqual([]);
  });
});
