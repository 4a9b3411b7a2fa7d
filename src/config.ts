import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { extname } from 'node:path';
import { validate as validCron } from 'node-cron';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { grantTagProblem } from './core/tags.js';
import { grantRule, GROUP_RE as IAM_NAME } from './core/templates.js';
import { ConfigError } from './errors.js';

/**
 * The only module that reads the environment. Everything else receives a parsed, validated Config.
 * File keys are snake_case, as operators write them; the parsed object keeps the same names so an error
 * path like `templates.developer.groups[1]` points straight at the line to fix.
 */

const ACCOUNT_ID = /^\d{12}$/;
const ARN = /^arn:aws[\w-]*:/;
const SLACK_ID = /^[UWGS][A-Z0-9]{2,}$/;

/** A node-cron expression, checked here so a typo fails at start-up and names its field. */
/** A cron expression, or `off` (a job that only runs when asked). */
const cronOrOff = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .superRefine((value, ctx) => {
      if (value !== 'off' && !validCron(value))
        ctx.addIssue({ code: 'custom', message: `"${value}" is neither a valid cron expression nor "off"` });
    });

const cron = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .superRefine((value, ctx) => {
      if (!validCron(value))
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid cron expression` });
    });

const policyDocument = z.union([z.string().min(2), z.record(z.string(), z.unknown())]);

export const templateSchema = z
  .object({
    description: z.string().default(''),
    groups: z.array(z.string().regex(IAM_NAME, 'must be an IAM group name')).default([]),
    managed_policies: z.array(z.string().regex(ARN, 'must be a policy ARN (arn:aws:iam::…)')).default([]),
    inline_policies: z.record(z.string().regex(IAM_NAME), policyDocument).default({}),
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
    permission_boundary: z.string().regex(ARN, 'must be a policy ARN').optional(),
    console_access: z.boolean().default(true),
    mfa_required: z.boolean().default(true),
    approvals_required: z.number().int().min(1).max(5).default(1),
    /** Only admins may approve requests for this template (always true when approvals_required > 1 is not enough). */
    admin_only: z.boolean().default(false),
    /**
     * Groups a create request for this template may add as extra groups (with `grantable.groups`): the
     * allow-list; anything else is refused in the modal. A group that a stricter template grants brings that
     * template's approvers and quorum with it (approvalRule in core/templates.ts).
     */
    extra_groups: z.array(z.string().regex(IAM_NAME, 'must be an IAM group name')).default([]),
    /** Time-bound access: what may be requested temporarily on top of this template. */
    grantable: z
      .object({
        groups: z.array(z.string().regex(IAM_NAME)).default([]),
        managed_policies: z.array(z.string().regex(ARN)).default([]),
      })
      .default({ groups: [], managed_policies: [] }),
    break_glass: z.boolean().default(false),
    /**
     * Target IAM Identity Center instead of IAM: /aws-user create makes an Identity Store user (no password;
     * Identity Center invites by email) and adds it to these Identity Store groups (display names).
     */
    identity_center: z
      .object({ groups: z.array(z.string().min(1).max(1024)).default([]) })
      .strict()
      .optional(),
  })
  .strict();

export type Template = z.infer<typeof templateSchema>;

/** An IAM Identity Center permission set that may be requested for a time, per account. */
export const permissionSetSchema = z
  .object({
    arn: z
      .string()
      .regex(
        /^arn:aws[\w-]*:sso:::permissionSet\/(sso)?ins-[a-zA-Z0-9.-]{16}\/ps-[a-zA-Z0-9./-]{16}$/,
        'must be a permission set ARN (arn:aws:sso:::permissionSet/ssoins-…/ps-…)',
      ),
    description: z.string().default(''),
    /** Account ids it may be requested in; "*" for every managed account. */
    accounts: z
      .array(z.union([z.literal('*'), z.string().regex(ACCOUNT_ID, 'must be a 12-digit account id or "*"')]))
      .min(1, 'list the account ids it may be requested in, or "*"'),
    max_duration_hours: z.number().positive().max(720).default(8),
    approvals_required: z.number().int().min(1).max(5).default(1),
    admin_only: z.boolean().default(false),
    break_glass: z.boolean().default(false),
    /** Nobody holds it outside a grant: the reconcile job removes any assignment no active grant explains. */
    elevation_only: z.boolean().default(false),
  })
  .strict();

export type PermissionSetConfig = z.infer<typeof permissionSetSchema>;

const accountSchema = z
  .object({
    id: z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id'),
    name: z.string().min(1),
    role_arn: z
      .string()
      .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+/, 'must be an IAM role ARN')
      .optional(),
    external_id: z.string().min(2).max(1224).optional(),
    region: z.string().min(1).default('us-east-1'),
  })
  .strict();

export type AccountConfig = z.infer<typeof accountSchema>;

const severity = z.enum(['HIGH', 'MEDIUM', 'LOW']);
export type Severity = z.infer<typeof severity>;
const findingType = z.enum([
  'CONSOLE_INACTIVE',
  'CONSOLE_NEVER_USED',
  'ACCESS_KEY_INACTIVE',
  'ACCESS_KEY_NEVER_USED',
]);
export type FindingType = z.infer<typeof findingType>;

const slackIds = z
  .array(z.string().regex(SLACK_ID, 'must be a Slack user (U…/W…) or user-group (S…) id'))
  .default([]);

export const configSchema = z
  .object({
    accounts: z.array(accountSchema).default([]),
    /**
     * AWS Organizations discovery: every ACTIVE account of the organization (or of `include_ous`) is managed,
     * reached as `role/<role_name>`; an `accounts` entry with the same id overrides the discovered one.
     */
    organization: z
      .object({
        role_name: z.string().regex(/^[\w+=,.@/-]{1,64}$/, 'must be an IAM role name (path allowed)'),
        external_id: z.string().min(2).max(1224).optional(),
        region: z.string().min(1).default('us-east-1'),
        include_ous: z
          .array(
            z
              .string()
              .regex(
                /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/,
                'must be an OU id (ou-…) or root id (r-…)',
              ),
          )
          .default([]),
        exclude_accounts: z
          .array(z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id'))
          .default([]),
        refresh_minutes: z.number().int().min(1).max(1440).default(60),
      })
      .strict()
      .optional(),
    /** IAM Identity Center; the instance and identity store come from sso-admin:ListInstances when omitted. */
    identity_center: z
      .object({
        instance_arn: z
          .string()
          .regex(
            /^arn:aws[\w-]*:sso:::instance\/(sso)?ins-[a-zA-Z0-9.-]{16}$/,
            'must be an instance ARN (arn:aws:sso:::instance/ssoins-…)',
          )
          .optional(),
        identity_store_id: z
          .string()
          .regex(
            /^d-[0-9a-z]{10}$|^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/,
            'must be an identity store id (d-…)',
          )
          .optional(),
        region: z.string().min(1).default('us-east-1'),
        /** The AWS access portal's URL (https://d-….awsapps.com/start), told to new Identity Center users. */
        portal_url: z.string().url('must be a URL, e.g. https://d-1234567890.awsapps.com/start').optional(),
        /** Days an offboarded Identity Center user is kept (access already removed) before the sweep deletes it; default 30. */
        remove_after_days: z.number().int().min(0).max(3650).optional(),
      })
      .strict()
      .optional(),
    /** Time-bound Identity Center access: name → permission set (needs identity_center). */
    permission_sets: z
      .record(
        z
          .string()
          .regex(/^[\w+=,.@-]{1,32}$/, 'permission set names are 1-32 letters, digits and + = , . @ _ -'),
        permissionSetSchema,
      )
      .default({}),
    /**
     * The account the bot's own credentials live in; default: the first account without role_arn, else the
     * account sts:GetCallerIdentity names (core/aws/accounts.ts resolveHomeAccountId).
     */
    home_account: z.string().regex(ACCOUNT_ID).optional(),
    templates: z.record(
      // Short enough to be a select option's text and value (75 / 150) and an IAM tag value, whole.
      z
        .string()
        .regex(
          /^[a-z0-9][a-z0-9_-]{0,63}$/,
          'template names are 1-64 lower-case letters, digits, _ and -, starting with a letter or digit',
        ),
      templateSchema,
    ),
    password_policy: z
      .object({
        minimum_length: z.number().int().min(6).max(128).default(12),
        require_uppercase: z.boolean().default(true),
        require_lowercase: z.boolean().default(true),
        require_numbers: z.boolean().default(true),
        require_symbols: z.boolean().default(true),
        max_age_days: z.number().int().min(0).max(1095).default(90),
        password_reuse_prevention: z.number().int().min(0).max(24).default(24),
        allow_users_to_change_password: z.boolean().default(true),
        hard_expiry: z.boolean().default(false),
      })
      .strict()
      .default({
        minimum_length: 12,
        require_uppercase: true,
        require_lowercase: true,
        require_numbers: true,
        require_symbols: true,
        max_age_days: 90,
        password_reuse_prevention: 24,
        allow_users_to_change_password: true,
        hard_expiry: false,
      }),
    inactivity: z
      .object({
        console_days: z.number().int().min(1).default(90),
        access_key_days: z.number().int().min(1).default(180),
        severities: z.partialRecord(findingType, severity).default({}),
        soc2_controls: z.partialRecord(findingType, z.array(z.string().min(1))).default({}),
        ticket_min_severity: severity.default('HIGH'),
        concurrency: z.number().int().min(1).max(64).default(8),
        /** Finding history (scan runs, resolved findings) older than this is pruned daily. */
        history_days: z.number().int().min(1).max(3650).default(400),
      })
      .strict()
      .default({
        console_days: 90,
        access_key_days: 180,
        severities: {},
        soc2_controls: {},
        ticket_min_severity: 'HIGH',
        concurrency: 8,
        history_days: 400,
      }),
    keys: z
      .object({
        grace_days: z.number().int().min(0).default(7),
        delete_after_days: z.number().int().min(0).default(14),
        max_age_days: z.number().int().min(1).default(90),
      })
      .strict()
      .default({ grace_days: 7, delete_after_days: 14, max_age_days: 90 }),
    slack: z
      .object({
        approvals_channel: z.string().min(1).optional(),
        digest_channel: z.string().min(1).optional(),
        approvers: slackIds,
        admins: slackIds,
        sign_in_url: z.string().url().optional(),
      })
      .strict()
      .default({ approvers: [], admins: [] }),
    approvals: z
      .object({ ttl_hours: z.number().positive().max(720).default(72) })
      .strict()
      .default({ ttl_hours: 72 }),
    jobs: z
      .object({
        timezone: z.string().default('UTC'),
        digest_schedule: cron('0 9 1 * *'),
        approval_expiry_schedule: cron('*/5 * * * *'),
        key_rotation_sweep_schedule: cron('0 * * * *'),
        offboard_sweep_schedule: cron('30 * * * *'),
        mfa_cleanup_schedule: cron('*/5 * * * *'),
        grant_revoke_schedule: cron('* * * * *'),
        /** Removes temporary users (the create modal's duration) once due; grants have their own schedule. */
        temporary_access_schedule: cron('* * * * *'),
        /** Reads every account's aws-user:* expiry tags and revokes what is due, even if the store forgot it. */
        grant_reconcile_schedule: cron('*/5 * * * *'),
        /** Deletes audit events older than audit.retention_days from the store. */
        audit_retention_schedule: cron('17 3 * * *'),
        /** Removes assignments of elevation_only permission sets that no active grant explains. */
        identity_center_reconcile_schedule: cron('*/5 * * * *'),
        /** Starts an access review campaign (only with `review` configured); `off` for manual campaigns only. */
        access_review_schedule: cronOrOff('0 9 1 1,4,7,10 *'),
        /** Launches new campaigns, reminds, escalates overdue items, tracks revocations, closes campaigns. */
        access_review_tick_schedule: cron('*/15 * * * *'),
      })
      .strict()
      .default({
        timezone: 'UTC',
        digest_schedule: '0 9 1 * *',
        approval_expiry_schedule: '*/5 * * * *',
        key_rotation_sweep_schedule: '0 * * * *',
        offboard_sweep_schedule: '30 * * * *',
        mfa_cleanup_schedule: '*/5 * * * *',
        grant_revoke_schedule: '* * * * *',
        temporary_access_schedule: '* * * * *',
        grant_reconcile_schedule: '*/5 * * * *',
        audit_retention_schedule: '17 3 * * *',
        identity_center_reconcile_schedule: '*/5 * * * *',
        access_review_schedule: '0 9 1 1,4,7,10 *',
        access_review_tick_schedule: '*/15 * * * *',
      }),
    /** Access reviews (quarterly certification campaigns); off until configured. */
    review: z
      .object({
        /** Who reviews a person without a Manager tag (or whose manager is not in Slack), and overdue items. */
        fallback_reviewers: slackIds.refine((v) => v.length > 0, 'name at least one fallback reviewer'),
        /** Where the campaign's progress message and closing report go; default: slack.approvals_channel. */
        channel: z.string().min(1).optional(),
        /** Reviewers' deadline, in days from the start (`aws-user review start --due` overrides). */
        due_days: z.number().int().min(1).max(365).default(14),
        /** Days between reminders of open items. */
        reminder_days: z.number().int().min(1).max(90).default(3),
        /** After the deadline, undecided items go to the fallback reviewers for this many days; then the campaign closes. */
        escalation_days: z.number().int().min(0).max(90).default(3),
        /** Run a revocation at once, without an approval request, when the reviewer is also an approver. */
        revoke_without_approval: z.boolean().default(false),
        /** Accounts (ids or names) a scheduled campaign covers; default: every managed account. */
        accounts: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    jira: z
      .object({
        base_url: z.string().url(),
        project_key: z.string().regex(/^[A-Z][A-Z0-9_]+$/, 'must be a Jira project key like SEC'),
        issue_type: z.string().default('Task'),
        email: z.string().email().optional(),
      })
      .strict()
      .optional(),
    grants: z
      .object({ max_duration_hours: z.number().positive().max(720).default(8) })
      .strict()
      .default({ max_duration_hours: 8 }),
    break_glass: z
      .object({
        max_duration_minutes: z.number().int().positive().max(1440).default(60),
        per_user_per_day: z.number().int().min(1).default(2),
      })
      .strict()
      .default({ max_duration_minutes: 60, per_user_per_day: 2 }),
    audit: z
      .object({
        /** How long the store keeps audit events; more than a SOC 2 year by default. */
        retention_days: z.number().int().min(1).max(3650).default(400),
      })
      .strict()
      .default({ retention_days: 400 }),
    bulk: z
      .object({ concurrency: z.number().int().min(1).max(64).default(8) })
      .strict()
      .default({ concurrency: 8 }),
    /** Client-side pacing of IAM calls per account (off when absent); see README "Throttling". */
    iam: z
      .object({
        requests_per_second: z.number().positive().max(1000).optional(),
        burst: z.number().int().min(1).max(100).default(1),
      })
      .strict()
      .optional(),
  })
  .strict();

export type FileConfig = z.infer<typeof configSchema>;

export const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_API_URL: z.string().url().optional(),
  REDIS_URL: z.string().optional(),
  /** The embedded store's folder (SQLite), used when REDIS_URL is unset; created on first run. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** Lets several deployments (or test runs) share one Redis. */
  REDIS_KEY_PREFIX: z.string().min(1).max(64).default('aws-user:'),
  AWS_USER_CONFIG: z.string().optional(),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_REGION: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  JIRA_EMAIL: z.string().optional(),
  JIRA_API_TOKEN: z.string().optional(),
  /** How long SIGTERM waits for running executions and jobs before the process exits anyway. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(25),
  /**
   * This process's name in job records, /healthz and every log line, so an operator sees which replica ran
   * what. Defaults to `<hostname>-<pid>` (a pod's name in Kubernetes, a container id in Docker).
   */
  REPLICA_ID: z
    .string()
    .regex(/^[\w.:-]{1,64}$/, 'use 1-64 letters, digits, and . _ : -')
    .optional(),
  /** `true`: /healthz also names the AWS account and the bot's ARN, and says why a part is down. */
  HEALTHZ_VERBOSE: z.enum(['true', 'false'], { message: 'use true or false' }).default('false'),
});

export interface RuntimeEnv {
  slackBotToken: string | undefined;
  slackSigningSecret: string | undefined;
  slackAppToken: string | undefined;
  slackApiUrl: string | undefined;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  dataDir: string;
  awsEndpointUrl: string | undefined;
  awsRegion: string | undefined;
  logLevel: string;
  port: number;
  jiraEmail: string | undefined;
  jiraApiToken: string | undefined;
  shutdownGraceMs: number;
  replicaId: string;
  healthzVerbose: boolean;
}

export interface Config extends FileConfig {
  /** Where the file config came from, for messages. */
  source: string;
  env: RuntimeEnv;
}

export const DEFAULT_CONFIG_PATH = './config.yml';

/** `templates.developer.groups[1]` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(root)';
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === 'invalid_type') return `${where}: expected ${issue.expected}`;
  if (issue.code === 'unrecognized_keys')
    return `${where}: unknown key(s) ${issue.keys.join(', ')} (check spelling)`;
  // A bad record key (a template's name): zod says only "Invalid key in record"; the key's own rule says why.
  if (issue.code === 'invalid_key') {
    const why = issue.issues.map((i) => i.message).join('; ');
    return `${where}: bad name: ${why || issue.message}`;
  }
  return `${where}: ${issue.message}`;
}

export function parseFileConfig(raw: unknown, source: string): FileConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(source, parsed.error.issues.map(formatIssue));
  const cfg = parsed.data;
  const problems: string[] = [];
  const ids = new Set<string>();
  cfg.accounts.forEach((a, i) => {
    if (ids.has(a.id)) problems.push(`accounts[${i}].id: duplicate account id ${a.id}`);
    ids.add(a.id);
  });
  // With an organization the home account is usually discovered, not listed.
  if (cfg.home_account && !ids.has(cfg.home_account) && cfg.accounts.length > 0 && !cfg.organization) {
    problems.push(`home_account: ${cfg.home_account} is not one of accounts[].id`);
  }
  for (const [name, t] of Object.entries(cfg.templates)) {
    if (t.break_glass && t.approvals_required > 1) {
      // break-glass self-approves; a multi-approver template would silently lose its second approver.
      problems.push(`templates.${name}.break_glass: cannot be true when approvals_required > 1`);
    }
    // Every grant is written into IAM as `aws-user:grant:<id>` = `<expiry> <kind>:<target>` (core/tags.ts).
    const sampleExpiry = '2026-01-01T00:00:00.000Z';
    for (const [kind, field, list] of [
      ['group', 'groups', t.grantable.groups],
      ['policy', 'managed_policies', t.grantable.managed_policies],
    ] as const) {
      list.forEach((target, i) => {
        const where = `templates.${name}.grantable.${field}[${i}]`;
        const problem = grantTagProblem(sampleExpiry, kind, target);
        if (problem)
          problems.push(
            `${where}: ${problem} (IAM tag values allow at most 256 letters, digits, spaces and _ . : / = + - @)`,
          );
        // Break-glass grants at once without an approver: it may not hand out what a stricter template guards.
        const [guard] = t.break_glass ? grantRule(cfg, name, { kind, target }).elevated : [];
        if (guard)
          problems.push(
            `${where}: break-glass would grant ${kind} ${target} without approval, but template ${guard.template} requires ${guard.approvalsNeeded} approval(s)${guard.adminOnly ? ' from admins' : ''} for it; remove it here or set break_glass: false`,
          );
      });
    }
  }
  problems.push(...identityCenterProblems(cfg));
  if (problems.length > 0) throw new ConfigError(source, problems);
  return cfg;
}

/** What the Identity Center parts need of each other, each problem naming its field. */
function identityCenterProblems(cfg: FileConfig): string[] {
  const problems: string[] = [];
  const needsIc = (where: string) =>
    cfg.identity_center
      ? []
      : [`${where}: needs identity_center (add identity_center: {} to use ListInstances)`];
  for (const [name, ps] of Object.entries(cfg.permission_sets)) {
    problems.push(...needsIc(`permission_sets.${name}`));
    if (ps.break_glass && ps.approvals_required > 1)
      problems.push(`permission_sets.${name}.break_glass: cannot be true when approvals_required > 1`);
    if (ps.accounts.includes('*') && ps.accounts.length > 1)
      problems.push(
        `permission_sets.${name}.accounts: "*" already means every account; list ids or "*" alone`,
      );
    const inst = cfg.identity_center?.instance_arn?.split('/')[1];
    const own = ps.arn.split('/')[1];
    if (inst && own !== inst)
      problems.push(
        `permission_sets.${name}.arn: belongs to ${own}, not identity_center.instance_arn's ${inst}`,
      );
  }
  for (const [name, t] of Object.entries(cfg.templates)) {
    if (!t.identity_center) continue;
    problems.push(...needsIc(`templates.${name}.identity_center`));
    // An Identity Store user has no IAM groups, policies, keys or console password of its own.
    const iamOnly = [
      ...(t.groups.length > 0 ? ['groups'] : []),
      ...(t.managed_policies.length > 0 ? ['managed_policies'] : []),
      ...(Object.keys(t.inline_policies).length > 0 ? ['inline_policies'] : []),
      ...(t.extra_groups.length > 0 ? ['extra_groups'] : []),
      ...(t.grantable.groups.length + t.grantable.managed_policies.length > 0 ? ['grantable'] : []),
    ];
    if (iamOnly.length > 0)
      problems.push(
        `templates.${name}.identity_center: an Identity Center template cannot also set ${iamOnly.join(', ')} (IAM only); move them to an IAM template`,
      );
  }
  return problems;
}

export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT' ? 'file not found; copy config.example.yml or set AWS_USER_CONFIG' : String(code);
    throw new ConfigError(path, [`(file): ${hint}`], { cause: err });
  }
  try {
    return extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      path,
      [`(file): not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`],
      {
        cause: err,
      },
    );
  }
}

export function parseEnv(env: Record<string, string | undefined>): RuntimeEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError('environment', parsed.error.issues.map(formatIssue));
  const e = parsed.data;
  return {
    slackBotToken: e.SLACK_BOT_TOKEN,
    slackSigningSecret: e.SLACK_SIGNING_SECRET,
    slackAppToken: e.SLACK_APP_TOKEN,
    slackApiUrl: e.SLACK_API_URL,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    dataDir: e.DATA_DIR,
    awsEndpointUrl: e.AWS_ENDPOINT_URL,
    awsRegion: e.AWS_REGION,
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    jiraEmail: e.JIRA_EMAIL,
    jiraApiToken: e.JIRA_API_TOKEN,
    shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
    replicaId: e.REPLICA_ID ?? `${hostname().slice(0, 48)}-${process.pid}`,
    healthzVerbose: e.HEALTHZ_VERBOSE === 'true',
  };
}

/** Parse once at start-up. `file` wins over AWS_USER_CONFIG, which wins over ./config.yml. */
export function loadConfig(env: Record<string, string | undefined>, file?: string): Config {
  const runtime = parseEnv(env);
  const source = file ?? env.AWS_USER_CONFIG ?? DEFAULT_CONFIG_PATH;
  const fileConfig = parseFileConfig(readConfigFile(source), source);
  return { ...fileConfig, source, env: runtime };
}
