import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A synthetic IAM + STS Query-API endpoint for the benchmark: N accounts × M users generated
 * deterministically (no state kept per user), a fixed latency per call, and a count of calls per action.
 *
 * - STS AssumeRole returns credentials whose access key id encodes the target account, so every later
 *   IAM call is attributed to its account from the SigV4 Credential scope.
 * - GenerateCredentialReport answers STARTED once per account, then COMPLETE (as AWS does).
 * - GetCredentialReport serves a base64 CSV in AWS's format, `<root_account>` first.
 * - GetAccountAuthorizationDetails(Filter=User) pages by MaxItems (≤ 1,000) and Marker, as AWS does.
 * - Organizations ListAccounts (JSON protocol, X-Amz-Target) lists the N accounts, ACTIVE, in pages of at
 *   most 20 (AWS's cap) with NextToken, so discovery can be measured next to the scan.
 * - The per-user calls of the seed method (ListUsers, GetUser, ListAccessKeys, GetAccessKeyLastUsed,
 *   ListMFADevices, ListUserTags) serve the same users, so both methods see the same data.
 */

export interface SyntheticOptions {
  accounts: number;
  usersPerAccount: number;
  latencyMs: number;
  /** "now" for the generated dates. */
  now?: Date;
  /**
   * Extra entitlements per user in GetAccountAuthorizationDetails, for the access-review bench (about 10 per
   * user with the console, keys and groups). Default 0: the same bodies as before.
   */
  managedPoliciesPerUser?: number;
  inlinePoliciesPerUser?: number;
}

export interface SyntheticIam {
  url: string;
  calls: Record<string, number>;
  totalIamCalls(): number;
  accountIds: string[];
  reset(): void;
  stop(): Promise<void>;
}

const DAY = 86_400_000;
const DEPARTMENTS = ['Engineering', 'Finance', 'Sales', 'Marketing', 'Support', 'Legal', 'HR', 'Data'];
const GROUPS = ['Developers', 'ReadOnly', 'Finance', 'Support', 'Administrators', 'DataScience'];
const MANAGED = [
  'ReadOnlyAccess',
  'AmazonS3ReadOnlyAccess',
  'AmazonEC2ReadOnlyAccess',
  'CloudWatchReadOnlyAccess',
  'AmazonDynamoDBReadOnlyAccess',
  'AWSLambda_ReadOnlyAccess',
  'AmazonSQSReadOnlyAccess',
  'AmazonSNSReadOnlyAccess',
];

export function accountIdFor(index: number): string {
  return String(100_000_000_000 + index).padStart(12, '0');
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SynthUser {
  name: string;
  created: Date;
  console: boolean;
  passwordLastUsed: string;
  mfa: boolean;
  keys: { active: boolean; created: Date; lastUsed: string }[];
  dept: string;
  costCenter: string;
  groups: string[];
  admin: boolean;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** Deterministic: about 15% of users have at least one inactive or never-used credential. */
function user(accountIndex: number, i: number, now: number): SynthUser {
  const r = rng(accountIndex * 1_000_003 + i);
  const created = new Date(now - (30 + Math.floor(r() * 1500)) * DAY);
  const ago = (maxDays: number, minDays = 0) =>
    iso(new Date(now - (minDays + Math.floor(r() * (maxDays - minDays))) * DAY));
  const console = r() < 0.7;
  const p = r();
  const passwordLastUsed = !console
    ? 'N/A'
    : p < 0.9
      ? ago(60)
      : p < 0.95
        ? ago(400, 100)
        : p < 0.98
          ? 'N/A'
          : 'no_information';
  const keys: SynthUser['keys'] = [];
  const nKeys = r() < 0.6 ? (r() < 0.1 ? 2 : 1) : 0;
  for (let k = 0; k < nKeys; k++) {
    const kc = new Date(Math.max(created.getTime(), now - Math.floor(r() * 900) * DAY));
    const u = r();
    keys.push({
      active: r() < 0.95,
      created: kc,
      lastUsed: u < 0.9 ? ago(30) : u < 0.95 ? ago(500, 200) : 'N/A',
    });
  }
  const g1 = GROUPS[Math.floor(r() * GROUPS.length)] as string;
  const groups = r() < 0.3 ? [g1, 'ReadOnly'] : [g1];
  return {
    name: `user-${String(i).padStart(5, '0')}`,
    created,
    console,
    passwordLastUsed,
    mfa: r() < 0.8,
    keys,
    dept: DEPARTMENTS[i % DEPARTMENTS.length] as string,
    costCenter: `CC-${100 + (i % 12)}`,
    groups,
    admin: g1 === 'Administrators',
  };
}

const CSV_HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

function keyCols(k: SynthUser['keys'][number] | undefined): string {
  if (!k) return 'false,N/A,N/A,N/A,N/A';
  const used = k.lastUsed !== 'N/A';
  return `${k.active},${iso(k.created)},${k.lastUsed},${used ? 'us-east-1' : 'N/A'},${used ? 'iam' : 'N/A'}`;
}

function credentialReport(ai: number, account: string, n: number, now: number): string {
  const lines = [
    CSV_HEADER,
    `<root_account>,arn:aws:iam::${account}:root,2015-01-01T00:00:00+00:00,not_supported,${iso(new Date(now - 200 * DAY))},not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
  ];
  for (let i = 0; i < n; i++) {
    const u = user(ai, i, now);
    lines.push(
      `${u.name},arn:aws:iam::${account}:user/${u.name},${iso(u.created)},${u.console},${u.passwordLastUsed},${u.console ? iso(u.created) : 'N/A'},N/A,${u.mfa},${keyCols(u.keys[0])},${keyCols(u.keys[1])},false,N/A,false,N/A`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface Extra {
  managed: number;
  inline: number;
}

function userXml(account: string, u: SynthUser, detail: boolean, extra?: Extra): string {
  const base = `<UserName>${u.name}</UserName><UserId>AIDA${account}${u.name.slice(5)}</UserId><Arn>arn:aws:iam::${account}:user/${u.name}</Arn><Path>/</Path><CreateDate>${u.created.toISOString()}</CreateDate>`;
  if (!detail) return base;
  const tags = [
    ['Email', `${u.name}@example.com`],
    ['Department', u.dept],
    ['Manager', `manager-${u.dept.toLowerCase()}@example.com`],
    ['CostCenter', u.costCenter],
  ]
    .map(([k, v]) => `<member><Key>${k}</Key><Value>${v}</Value></member>`)
    .join('');
  const managed = [
    ...(u.admin ? ['AdministratorAccess'] : []),
    ...Array.from({ length: extra?.managed ?? 0 }, (_, k) => MANAGED[k % MANAGED.length] as string),
  ];
  const policies = managed
    .map(
      (p) =>
        `<member><PolicyName>${p}</PolicyName><PolicyArn>arn:aws:iam::aws:policy/${p}</PolicyArn></member>`,
    )
    .join('');
  const inline = Array.from(
    { length: extra?.inline ?? 0 },
    (_, k) =>
      `<member><PolicyName>${u.name}-inline-${k + 1}</PolicyName><PolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D</PolicyDocument></member>`,
  ).join('');
  return `${base}<GroupList>${u.groups.map((g) => `<member>${g}</member>`).join('')}</GroupList><AttachedManagedPolicies>${policies}</AttachedManagedPolicies>${inline ? `<UserPolicyList>${inline}</UserPolicyList>` : '<UserPolicyList/>'}<Tags>${tags}</Tags>`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

function wrap(action: string, result: string, ns = IAM_NS): string {
  return `<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></${action}Response>`;
}

function error(code: string, message: string): string {
  return `<ErrorResponse xmlns="${IAM_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>0</RequestId></ErrorResponse>`;
}

export async function startSyntheticIam(opts: SyntheticOptions): Promise<SyntheticIam> {
  const now = (opts.now ?? new Date()).getTime();
  const accountIds = Array.from({ length: opts.accounts }, (_, i) => accountIdFor(i));
  const indexOf = new Map(accountIds.map((id, i) => [id, i]));
  const calls: Record<string, number> = {};
  let generated = new Set<string>();
  const n = opts.usersPerAccount;
  const extra = { managed: opts.managedPoliciesPerUser ?? 0, inline: opts.inlinePoliciesPerUser ?? 0 };
  // The server shares the machine with the scan it measures: render each body once per variant (accounts
  // cycle through VARIANTS user populations) and only swap the account id in, so serving stays cheap.
  const VARIANTS = 10;
  const PLACEHOLDER = '999999999999';
  const cache = new Map<string, string>();
  const cached = (key: string, account: string, render: () => string): string => {
    let body = cache.get(key);
    if (body === undefined) {
      body = render();
      cache.set(key, body);
    }
    return body.replaceAll(PLACEHOLDER, account);
  };

  const handle = (action: string, params: URLSearchParams, account: string): [number, string] => {
    const ai = indexOf.get(account);
    if (action === 'AssumeRole') {
      const target = /^arn:aws:iam::(\d{12}):role\//.exec(params.get('RoleArn') ?? '')?.[1] ?? '';
      if (!indexOf.has(target))
        return [403, error('AccessDenied', `not authorized to assume a role in ${target}`)];
      const exp = new Date(now + 3600_000).toISOString();
      return [
        200,
        wrap(
          'AssumeRole',
          `<Credentials><AccessKeyId>ASIA${target}X</AccessKeyId><SecretAccessKey>synthetic</SecretAccessKey><SessionToken>synthetic</SessionToken><Expiration>${exp}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:bench</AssumedRoleId><Arn>arn:aws:sts::${target}:assumed-role/bench/bench</Arn></AssumedRoleUser>`,
          'https://sts.amazonaws.com/doc/2011-06-15/',
        ),
      ];
    }
    if (ai === undefined) return [403, error('InvalidClientTokenId', 'unknown credentials')];
    const userName = params.get('UserName') ?? '';
    const userIndex = Number(userName.slice(5));
    switch (action) {
      case 'GenerateCredentialReport': {
        const first = !generated.has(account);
        generated.add(account);
        return [200, wrap(action, `<State>${first ? 'STARTED' : 'COMPLETE'}</State>`)];
      }
      case 'GetCredentialReport': {
        if (!generated.has(account)) return [410, error('ReportNotPresent', 'generate the report first')];
        const csv = cached(`report:${ai % VARIANTS}`, account, () =>
          credentialReport(ai % VARIANTS, PLACEHOLDER, n, now),
        );
        const content = Buffer.from(csv).toString('base64');
        return [
          200,
          wrap(
            action,
            `<Content>${content}</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>${new Date(now - 3_600_000).toISOString()}</GeneratedTime>`,
          ),
        ];
      }
      case 'GetAccountAuthorizationDetails':
      case 'ListUsers': {
        const detail = action === 'GetAccountAuthorizationDetails';
        const max = Math.min(Number(params.get('MaxItems') ?? 100), 1000);
        const start = Number(params.get('Marker') ?? 0);
        const end = Math.min(start + max, n);
        const items = [
          cached(`${action}:${ai % VARIANTS}:${start}:${end}`, account, () => {
            const parts: string[] = [];
            for (let i = start; i < end; i++)
              parts.push(
                `<member>${userXml(PLACEHOLDER, user(ai % VARIANTS, i, now), detail, extra)}</member>`,
              );
            return parts.join('');
          }),
        ];
        const more =
          end < n
            ? `<IsTruncated>true</IsTruncated><Marker>${end}</Marker>`
            : '<IsTruncated>false</IsTruncated>';
        const list = detail
          ? `<UserDetailList>${items.join('')}</UserDetailList><GroupDetailList/><RoleDetailList/><Policies/>`
          : `<Users>${items.join('')}</Users>`;
        return [200, wrap(action, `${list}${more}`)];
      }
      case 'GetUser':
        return [
          200,
          wrap(action, `<User>${userXml(account, user(ai % VARIANTS, userIndex, now), false)}</User>`),
        ];
      case 'ListAccessKeys': {
        const u = user(ai % VARIANTS, userIndex, now);
        const keys = u.keys
          .map(
            (k, j) =>
              `<member><UserName>${u.name}</UserName><AccessKeyId>AKIA${account}${userIndex}K${j}</AccessKeyId><Status>${k.active ? 'Active' : 'Inactive'}</Status><CreateDate>${k.created.toISOString()}</CreateDate></member>`,
          )
          .join('');
        return [
          200,
          wrap(action, `<AccessKeyMetadata>${keys}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`),
        ];
      }
      case 'GetAccessKeyLastUsed': {
        const m = /^AKIA\d{12}(\d+)K(\d)$/.exec(params.get('AccessKeyId') ?? '');
        const u = user(ai % VARIANTS, Number(m?.[1] ?? 0), now);
        const k = u.keys[Number(m?.[2] ?? 0)];
        const used =
          k && k.lastUsed !== 'N/A'
            ? `<LastUsedDate>${new Date(k.lastUsed).toISOString()}</LastUsedDate>`
            : '';
        return [
          200,
          wrap(
            action,
            `<UserName>${u.name}</UserName><AccessKeyLastUsed>${used}<ServiceName>iam</ServiceName><Region>us-east-1</Region></AccessKeyLastUsed>`,
          ),
        ];
      }
      case 'ListMFADevices': {
        const u = user(ai % VARIANTS, userIndex, now);
        const dev = u.mfa
          ? `<member><UserName>${u.name}</UserName><SerialNumber>arn:aws:iam::${account}:mfa/${u.name}</SerialNumber><EnableDate>${u.created.toISOString()}</EnableDate></member>`
          : '';
        return [200, wrap(action, `<MFADevices>${dev}</MFADevices><IsTruncated>false</IsTruncated>`)];
      }
      case 'ListUserTags': {
        const u = user(ai % VARIANTS, userIndex, now);
        return [
          200,
          wrap(
            action,
            `<Tags><member><Key>Department</Key><Value>${u.dept}</Value></member><member><Key>Email</Key><Value>${u.name}@example.com</Value></member></Tags><IsTruncated>false</IsTruncated>`,
          ),
        ];
      }
      default:
        return [400, error('InvalidAction', `synthetic endpoint does not serve ${action}`)];
    }
  };

  /** organizations:ListAccounts, the one Organizations call discovery makes without include_ous. */
  const organizations = (target: string, body: string): [number, string] => {
    const action = target.split('.').pop() ?? '';
    if (action !== 'ListAccounts')
      return [400, JSON.stringify({ __type: 'InvalidInputException', Message: `not served: ${action}` })];
    const input = JSON.parse(body || '{}') as { MaxResults?: number; NextToken?: string };
    const start = Number(input.NextToken ?? 0);
    const end = Math.min(start + Math.min(input.MaxResults ?? 20, 20), accountIds.length);
    const Accounts = accountIds.slice(start, end).map((id, k) => ({
      Id: id,
      Arn: `arn:aws:organizations::123456789012:account/o-bench00000/${id}`,
      Email: `acct-${start + k}@example.com`,
      Name: `acct-${start + k}`,
      State: 'ACTIVE',
      Status: 'ACTIVE',
      JoinedMethod: 'CREATED',
      JoinedTimestamp: now / 1000,
    }));
    return [
      200,
      JSON.stringify({ Accounts, ...(end < accountIds.length ? { NextToken: String(end) } : {}) }),
    ];
  };

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('AWSOrganizations')) {
      const op = `organizations:${target.split('.').pop()}`;
      calls[op] = (calls[op] ?? 0) + 1;
      const [status, body] = organizations(target, raw);
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(body);
      }, opts.latencyMs);
      return;
    }
    const params = new URLSearchParams(raw);
    const action = params.get('Action') ?? '';
    calls[action] = (calls[action] ?? 0) + 1;
    const akid = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const account = /^ASIA(\d{12})X$/.exec(akid)?.[1] ?? '';
    const [status, body] = handle(action, params, account);
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(body);
    }, opts.latencyMs);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    accountIds,
    totalIamCalls: () =>
      Object.entries(calls).reduce(
        (s, [a, c]) => (a === 'AssumeRole' || a.startsWith('organizations:') ? s : s + c),
        0,
      ),
    reset() {
      for (const k of Object.keys(calls)) delete calls[k];
      generated = new Set();
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
