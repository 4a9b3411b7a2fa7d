import { ListUsersCommand } from '@aws-sdk/client-iam';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BULK_COLUMNS, bulkCreate, parseBulk } from '../../../src/core/users/bulk.js';
import { createGroups, MUTATING, type TestCtx, testConfig, testCtx, who } from '../../helpers/core.js';
import { MOTO_ACCOUNT, type Moto, startMoto } from '../../helpers/moto.js';

const config = testConfig();
const header = BULK_COLUMNS.join(',');

function csv(rows: string[][]): string {
  return stringify([[...BULK_COLUMNS], ...rows]);
}

describe('parseBulk (no IAM)', () => {
  it('reports every bad row with its file line, the header being line 1', () => {
    const text = [
      header,
      'ana,ana@example.com,Eng,developer,,boss@example.com,CC1',
      'bad name!,b@example.com,Eng,developer,,,',
      'cy,not-an-email,Eng,developer,,,',
      '',
      'dee,dee@example.com,Eng,wizard,,,',
      'ANA,ana2@example.com,Eng,readonly,,,',
      'eve,eve@example.com,Eng,readonly,Extra;ReadOnly,,',
      'short,row',
    ].join('\n');
    const { rows, errors } = parseBulk(text, 'csv', config);
    expect(rows.map((r) => [r.line, r.username, r.groups])).toEqual([
      [2, 'ana', []],
      [8, 'eve', ['Extra', 'ReadOnly']],
    ]);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 6, 7, 9]);
    expect(errors.find((e) => e.line === 3)?.reason).toMatch(/username/);
    expect(errors.find((e) => e.line === 4)?.reason).toMatch(/email/);
    expect(errors.find((e) => e.line === 6)?.reason).toMatch(/unknown template "wizard"/);
    expect(errors.find((e) => e.line === 7)?.reason).toMatch(/duplicate username "ANA" \(first on line 2\)/);
    expect(errors.find((e) => e.line === 9)?.reason).toMatch(/7 columns/);
  });

  it('rejects a wrong header, an empty file and a file over 10 MB', () => {
    expect(parseBulk('user,email\nx,y', 'csv', config).errors[0]?.reason).toMatch(/header must be exactly/);
    expect(parseBulk('', 'csv', config).errors[0]?.reason).toMatch(/empty/);
    expect(parseBulk('\n\n', 'csv', config).errors[0]?.reason).toMatch(/empty/);
    expect(parseBulk(`${header}\n`, 'csv', config).errors[0]?.reason).toMatch(/no rows/);
    const big = `${header}\n${'a,a@example.com,Eng,developer,,,\n'.repeat(400_000)}`;
    expect(big.length).toBeGreaterThan(10 * 1024 * 1024);
    const r = parseBulk(big, 'csv', config);
    expect(r).toEqual({
      rows: [],
      errors: [{ line: 0, reason: expect.stringMatching(/larger than 10 MB/) }],
    });
  });

  it('handles quoted fields (via csv-parse) and JSON input', () => {
    const r = parseBulk(
      csv([['q', 'q@example.com', 'Research and Development', 'readonly', 'Extra;ReadOnly', '', '']]),
      'csv',
      config,
    );
    expect(r.errors).toEqual([]);
    expect(r.rows[0]).toMatchObject({
      department: 'Research and Development',
      groups: ['Extra', 'ReadOnly'],
    });
    const j = parseBulk(
      JSON.stringify([
        {
          username: 'j1',
          email: 'j1@example.com',
          template: 'readonly',
          groups: ['Extra'],
          cost_center: 'C1',
        },
        { username: 'j2', email: 'nope', template: 'readonly' },
        { username: 'j3', email: 'j3@example.com', template: 'readonly', colour: 'red' },
      ]),
      'json',
      config,
    );
    expect(j.rows.map((x) => x.username)).toEqual(['j1']);
    expect(j.rows[0]?.costCenter).toBe('C1');
    expect(j.errors.map((e) => e.line)).toEqual([2, 3]);
    expect(parseBulk('{"a":1}', 'json', config).errors[0]?.reason).toMatch(/array/);
  });
});

describe('bulkCreate (moto)', () => {
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
    ctx = testCtx(moto);
    await createGroups(ctx.clients.iam(MOTO_ACCOUNT), ['Developers', 'ReadOnly', 'Extra']);
    ctx.commands.length = 0;
  });

  const names = async () =>
    ((await ctx.clients.iam(MOTO_ACCOUNT).send(new ListUsersCommand({}))).Users ?? [])
      .map((u) => u.UserName)
      .sort();

  it('creates good rows, fails a row with an unknown group without stopping the others, and caches lookups', async () => {
    const { rows } = parseBulk(
      csv([
        ['a1', 'a1@example.com', 'Eng', 'developer', '', '', ''],
        ['a2', 'a2@example.com', 'Eng', 'developer', 'NoSuchGroup', '', ''],
        ['a3', 'a3@example.com', 'Eng', 'developer', 'Extra', '', ''],
        ['a4', 'a4@example.com', 'Eng', 'developer', '', '', ''],
      ]),
      'csv',
      ctx.config,
    );
    const { results } = await bulkCreate(ctx, rows, who, { account: MOTO_ACCOUNT, concurrency: 3 });
    expect(results.map((r) => [r.line, r.status])).toEqual([
      [2, 'created'],
      [3, 'failed'],
      [4, 'created'],
      [5, 'created'],
    ]);
    expect(results[1]?.error).toMatch(/unknown group "NoSuchGroup"/);
    expect(results[0]?.password).toBeTruthy();
    expect(await names()).toEqual(['a1', 'a3', 'a4']);
    // 4 group lookups (Developers, ReadOnly, NoSuchGroup, Extra) + 2 policies, once per run
    expect(ctx.commands.filter((c) => c === 'GetGroup')).toHaveLength(4);
    expect(ctx.commands.filter((c) => c === 'GetPolicy')).toHaveLength(2);
    // per created user: CreateUser, 2-3 AddUserToGroup, 2 AttachUserPolicy, PutUserPolicy, CreateLoginProfile
    expect(ctx.commands.filter((c) => c === 'CreateUser')).toHaveLength(3);
  });

  it('all-or-nothing creates nothing when any row is invalid', async () => {
    const { rows } = parseBulk(
      csv([
        ['b1', 'b1@example.com', 'Eng', 'developer', '', '', ''],
        ['b2', 'b2@example.com', 'Eng', 'developer', 'NoSuchGroup', '', ''],
      ]),
      'csv',
      ctx.config,
    );
    const { results } = await bulkCreate(ctx, rows, who, { account: MOTO_ACCOUNT, allOrNothing: true });
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(results[0]?.error).toMatch(/all-or-nothing/);
    expect(await names()).toEqual([]);
    expect(ctx.commands.filter((c) => MUTATING.test(c))).toEqual([]);
  });

  it('dry-run creates nothing', async () => {
    const { rows } = parseBulk(
      csv([['c1', 'c1@example.com', 'Eng', 'developer', '', '', '']]),
      'csv',
      ctx.config,
    );
    const { results } = await bulkCreate(ctx, rows, who, { account: MOTO_ACCOUNT, dryRun: true });
    expect(results[0]?.status).toBe('dry-run');
    expect(ctx.commands.filter((c) => MUTATING.test(c))).toEqual([]);
  });
});
