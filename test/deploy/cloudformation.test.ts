import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  type Parameter,
  ValidateTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateUserCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, readPolicy, substitute } from '../../scripts/render-deploy.js';
import { AccountClients } from '../../src/core/aws/accounts.js';
import { silentLogger } from '../../src/logger.js';
import { runCli } from '../helpers/cli.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_CREDENTIALS } from '../helpers/moto.js';
import { tempDataDir } from '../helpers/store.js';

/**
 * The two stacks in deploy/ pass CloudFormation's ValidateTemplate (moto runs cfn-lint, the linter AWS
 * publishes, so an unknown action or a bad intrinsic is refused), deploy into moto's CloudFormation, and
 * create what they promise: read back from IAM, each role's trust and policies are the documents in
 * deploy/policies/ with the stack's values. Then an operator's `aws-user scan` runs as the home role, through
 * the deployed member role, with its external id, and the AssumeRole it sends satisfies the trust it deployed.
 * (moto does not enforce trust policies, so the test evaluates the conditions itself.)
 */

const REGION = 'us-east-1';
const MEMBER = '222222222222';
const EXTERNAL_ID = 'aws-user-test-7f3c';
const ISSUER = 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

let moto: Moto;
let proxy: FaultProxy;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  dir = mkdtempSync(join(tmpdir(), 'aws-user-cfn-'));
});

afterAll(async () => {
  await proxy?.close();
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const template = (name: 'home' | 'member') => readFileSync(`deploy/aws-user-${name}.yaml`, 'utf8');

function base(credentials: AwsCredentialIdentity = TEST_CREDENTIALS) {
  return { region: REGION, endpoint: moto.endpoint, credentials, maxAttempts: 2 };
}

async function assume(roleArn: string, session: string): Promise<AwsCredentialIdentity> {
  const sts = new STSClient(base());
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: session }));
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

async function deploy(
  name: 'home' | 'member',
  stack: string,
  params: Record<string, string>,
  credentials?: AwsCredentialIdentity,
): Promise<Record<string, string>> {
  const cfn = new CloudFormationClient(base(credentials));
  const Parameters: Parameter[] = Object.entries(params).map(([ParameterKey, ParameterValue]) => ({
    ParameterKey,
    ParameterValue,
  }));
  await cfn.send(
    new CreateStackCommand({
      StackName: stack,
      TemplateBody: template(name),
      Parameters,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    }),
  );
  const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
  const s = out.Stacks?.[0];
  expect(s?.StackStatus, s?.StackStatusReason).toBe('CREATE_COMPLETE');
  return Object.fromEntries((s?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
}

/**
 * moto returns an inline policy that CloudFormation created as Python's repr of the document (single quotes),
 * where AWS returns URL-encoded JSON: both are read here. Our documents hold no quote characters.
 */
function policyDocument(text: string | undefined): Json {
  const decoded = decodeURIComponent(text ?? '');
  try {
    return JSON.parse(decoded) as Json;
  } catch {
    return JSON.parse(
      decoded
        .replace(/'/g, '"')
        .replace(/\bTrue\b/g, 'true')
        .replace(/\bFalse\b/g, 'false'),
    );
  }
}

async function roleRead(roleName: string, credentials?: AwsCredentialIdentity) {
  const iam = new IAMClient(base(credentials));
  const role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const policies: Record<string, Json> = {};
  for (const PolicyName of names) {
    const p = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }));
    policies[PolicyName] = policyDocument(p.PolicyDocument);
  }
  return { arn: role?.Arn, trust: policyDocument(role?.AssumeRolePolicyDocument), policies };
}

/** What `${Name}` means in a stack of this account, with these parameters. */
function stackValues(account: string, params: Record<string, string>): Record<string, string> {
  return { 'AWS::Partition': 'aws', 'AWS::AccountId': account, 'AWS::Region': REGION, ...params };
}

const HOME_DEFAULTS = {
  MemberRoleName: 'aws-user-bot',
  EksNamespace: 'aws-user',
  EksServiceAccount: 'aws-user',
  EksOidcIssuer: '',
};

describe('deploy/ CloudFormation', () => {
  it('both templates pass ValidateTemplate, and a template naming an action IAM does not have is refused', async () => {
    const cfn = new CloudFormationClient(base());
    for (const name of ['home', 'member'] as const) {
      const out = await cfn.send(new ValidateTemplateCommand({ TemplateBody: template(name) }));
      expect(out.Description).toMatch(/^aws-user: /);
    }
    const typo = template('member').replace('iam:GetUserPolicy', 'iam:GetUserPolicies');
    await expect(cfn.send(new ValidateTemplateCommand({ TemplateBody: typo }))).rejects.toThrow(
      /getuserpolicies/,
    );
  });

  it.each(['ecs', 'ec2', 'eks'] as const)(
    'the home stack trusted by %s creates the role with its trust and both policies',
    async (by) => {
      const RoleName = `aws-user-home-${by}`;
      const params = { RoleName, TrustedBy: by, ...(by === 'eks' ? { EksOidcIssuer: ISSUER } : {}) };
      const outputs = await deploy('home', `home-${by}`, params);
      expect(outputs.RoleArn).toBe(`arn:aws:iam::${MOTO_ACCOUNT}:role/${RoleName}`);
      const role = await roleRead(RoleName);
      const values = stackValues(MOTO_ACCOUNT, { ...HOME_DEFAULTS, ...params });
      expect(role.trust).toEqual(substitute(readPolicy(`deploy/policies/home-trust-${by}.json`), values));
      expect(role.policies).toEqual({
        'aws-user-manage-iam-users': substitute(readPolicy('deploy/policies/manage-iam-users.json'), values),
        'aws-user-reach-member-accounts': substitute(
          readPolicy('deploy/policies/reach-member-accounts.json'),
          values,
        ),
      });
      // Read independently of the sources, so a wrong source cannot pass by being rendered faithfully.
      const statement = (role.trust as unknown as { Statement: Record<string, Json>[] }).Statement[0];
      if (by === 'eks') {
        expect(statement?.Action).toBe('sts:AssumeRoleWithWebIdentity');
        expect(statement?.Principal).toEqual({
          Federated: `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${ISSUER}`,
        });
        expect(statement?.Condition).toEqual({
          StringEquals: {
            [`${ISSUER}:sub`]: 'system:serviceaccount:aws-user:aws-user',
            [`${ISSUER}:aud`]: 'sts.amazonaws.com',
          },
        });
      } else {
        expect(statement?.Action).toBe('sts:AssumeRole');
        expect(statement?.Principal).toEqual({
          Service: by === 'ecs' ? 'ecs-tasks.amazonaws.com' : 'ec2.amazonaws.com',
        });
      }
      const assumeAny = (
        role.policies['aws-user-reach-member-accounts'] as unknown as { Statement: Record<string, Json>[] }
      ).Statement[0];
      expect(assumeAny?.Resource).toBe('arn:aws:iam::*:role/aws-user-bot');
      if (by === 'ec2') {
        expect(outputs.InstanceProfileArn).toBe(`arn:aws:iam::${MOTO_ACCOUNT}:instance-profile/${RoleName}`);
        const iam = new IAMClient(base());
        const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: RoleName }));
        expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual([RoleName]);
      } else {
        expect(outputs.InstanceProfileArn).toBeUndefined();
      }
    },
  );

  it('a scan as the home role, through the deployed member role and its external id, reads the member account', async () => {
    const home = await deploy('home', 'home', { TrustedBy: 'ecs' });
    const homeRoleArn = home.RoleArn as string;
    // Someone with admin rights in the member account deploys the member stack there (a StackSet does this).
    const admin = await assume(`arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`, 'admin');
    const member = await deploy(
      'member',
      'aws-user-member',
      { HomeRoleArn: homeRoleArn, ExternalId: EXTERNAL_ID },
      admin,
    );
    const memberRoleArn = member.RoleArn as string;
    expect(memberRoleArn).toBe(`arn:aws:iam::${MEMBER}:role/aws-user-bot`);
    const role = await roleRead('aws-user-bot', admin);
    const values = stackValues(MEMBER, { HomeRoleArn: homeRoleArn, ExternalId: EXTERNAL_ID });
    expect(role.trust).toEqual(substitute(readPolicy('deploy/policies/member-trust.json'), values));
    expect(Object.keys(role.policies)).toEqual(['aws-user-manage-iam-users']);
    const memberIam = new IAMClient(base(admin));
    for (const UserName of ['alice', 'bob']) await memberIam.send(new CreateUserCommand({ UserName }));

    // The bot runs as the home role (an ECS task's credentials).
    const bot = await assume(homeRoleArn, 'ecs-task');
    const me = await new STSClient(base(bot)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toMatch(new RegExp(`^arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/aws-user-bot/`));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        accounts: [{ id: MEMBER, name: 'member', role_arn: memberRoleArn, external_id: EXTERNAL_ID }],
        templates: {},
      }),
    );
    proxy.clear();
    const result = await runCli(['--config', config, '--json', 'scan', '--output-dir', dir], {
      env: { DATA_DIR: tempDataDir() },
      logger: silentLogger(),
      clients: (c) =>
        new AccountClients(c.accounts, {
          endpoint: proxy.endpoint,
          region: REGION,
          credentials: bot,
          maxAttempts: 2,
          homeAccountId: MOTO_ACCOUNT,
        }),
    });
    const scan = result.json<{ ok: boolean; accounts_analyzed: { id: string; users: number }[] }>();
    expect(scan.accounts_analyzed).toEqual([expect.objectContaining({ id: MEMBER, users: 2 })]);
    expect(scan.ok).toBe(true);
    expect(result.code).toBe(0);

    // What it sent to STS satisfies the trust the member stack deployed.
    const sent = proxy.applied.filter((c) => c.action === 'AssumeRole');
    expect(sent).toHaveLength(1);
    const call = sent[0]?.params ?? {};
    expect(call.RoleArn).toBe(memberRoleArn);
    const trust = (role.trust as unknown as { Statement: TrustStatement[] }).Statement;
    expect(
      allows(trust, {
        principalRole: homeRoleArn,
        'sts:ExternalId': call.ExternalId,
        'sts:RoleSessionName': call.RoleSessionName,
      }),
    ).toBe(true);
    // And the same trust refuses a wrong external id, another session name, or another principal.
    const ok = {
      principalRole: homeRoleArn,
      'sts:ExternalId': EXTERNAL_ID,
      'sts:RoleSessionName': 'aws-user-x',
    };
    expect(allows(trust, { ...ok, 'sts:ExternalId': 'guess' })).toBe(false);
    expect(allows(trust, { ...ok, 'sts:RoleSessionName': 'console-x' })).toBe(false);
    expect(allows(trust, { ...ok, principalRole: `arn:aws:iam::${MOTO_ACCOUNT}:role/other` })).toBe(false);
  });
});

interface TrustStatement {
  Effect: string;
  Principal: { AWS?: string };
  Action: string;
  Condition?: Record<string, Record<string, string>>;
}

/** IAM's evaluation of an AssumeRole by a session of `principalRole`, for the operators these trusts use. */
function allows(
  statements: TrustStatement[],
  req: {
    principalRole: string;
    'sts:ExternalId'?: string | undefined;
    'sts:RoleSessionName'?: string | undefined;
  },
): boolean {
  return statements.some((s) => {
    if (s.Effect !== 'Allow' || s.Action !== 'sts:AssumeRole' || s.Principal.AWS !== req.principalRole)
      return false;
    return Object.entries(s.Condition ?? {}).every(([op, keys]) =>
      Object.entries(keys).every(([key, want]) => {
        const got = (req as Record<string, string | undefined>)[key];
        if (got === undefined) return false;
        if (op === 'StringEquals') return got === want;
        if (op === 'StringLike') return globMatch(want, got);
        throw new Error(`condition operator ${op} is not evaluated here`);
      }),
    );
  });
}

/** IAM's StringLike: `*` any run of characters, `?` one character, everything else literal. */
function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}
