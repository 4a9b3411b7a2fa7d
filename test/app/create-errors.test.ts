import { CreateUserCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createValues, seedSlack, startBot, submitCreate, type TestBot } from '../helpers/bot.js';
import { createGroups } from '../helpers/core.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';
import { type Moto, startMoto } from '../helpers/moto.js';

let moto: Moto;
let fake: FakeSlack;
let t: TestBot;

beforeAll(async () => {
  [moto, fake] = await Promise.all([startMoto(), startFakeSlack()]);
  await createGroups(moto.iam(), ['Developers', 'ReadOnly']);
  await moto
    .iam()
    .send(new CreateUserCommand({ UserName: 'taken', Tags: [{ Key: 'Email', Value: 'x@example.com' }] }));
  seedSlack(fake);
  t = await startBot({ fake, moto });
});
afterAll(async () => {
  await t?.stop();
  await Promise.all([moto?.stop(), fake?.stop()]);
});

async function errorsFor(values: ReturnType<typeof createValues>): Promise<Record<string, string>> {
  const res = await submitCreate(t, values);
  expect(res.status).toBe(200);
  const body = res.json() as { response_action?: string; errors?: Record<string, string> };
  expect(body.response_action).toBe('errors');
  return body.errors ?? {};
}

describe('create modal inline errors', () => {
  it('flags a bad IAM user name', async () => {
    expect(Object.keys(await errorsFor(createValues({ username: 'bad name!' })))).toEqual(['username']);
  });

  it('flags an unknown template', async () => {
    const errors = await errorsFor(createValues({ template: 'wizard' }));
    expect(errors.template).toContain('Unknown template "wizard"');
    expect(errors.template).toContain('developer');
  });

  it('flags a missing justification', async () => {
    expect(Object.keys(await errorsFor(createValues({ justification: '   ' })))).toEqual(['justification']);
  });

  it('flags a user that already exists differently in the account (checked against IAM)', async () => {
    const errors = await errorsFor(createValues({ username: 'taken', email: 'x@example.com' }));
    expect(errors.username).toContain('already exists');
  });

  it('puts a template group missing from IAM on the template, and a bad extra group on its own field', async () => {
    expect(Object.keys(await errorsFor(createValues({ template: 'finance' })))).toEqual(['template']);
    expect(Object.keys(await errorsFor(createValues({ groups: 'NoSuchGroup' })))).toEqual(['extra_groups']);
    // Allowed by the template (config.example.yml's developer.extra_groups), but missing from IAM.
    expect(Object.keys(await errorsFor(createValues({ groups: 'DataScience' })))).toEqual(['extra_groups']);
  });

  it('flags several problems at once and records nothing', async () => {
    const before = await t.store.listPending();
    const errors = await errorsFor(createValues({ username: '', template: '', justification: '' }));
    expect(Object.keys(errors).sort()).toEqual(['justification', 'template', 'username']);
    expect(await t.store.listPending()).toEqual(before);
    expect(fake.callsTo('chat.postMessage')).toEqual([]);
  });
});
