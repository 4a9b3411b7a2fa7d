import type { Command } from 'commander';
import type { CoreContext } from '../../core/context.js';
import { type CreateUserResult, createUser } from '../../core/users/create.js';
import type { CreateUserInput } from '../../core/users/input.js';
import type { CliCommandEnv, RegisterCliCommand } from '../index.js';
import { accountId, cliActor, context, emit, formatPlan, list, mutating } from './shared.js';

export interface CreateOpts {
  username: string;
  email: string;
  template: string;
  department?: string;
  manager?: string;
  costCenter?: string;
  slackUserId?: string;
  groups?: string[];
  console: boolean;
  showPassword?: boolean;
  account?: string;
  dryRun?: boolean;
}

export function createOptions(cmd: Command): Command {
  return mutating(
    cmd
      .requiredOption('--username <name>', 'IAM user name ([\\w+=,.@-]{1,64})')
      .requiredOption('--email <address>', 'owner email (tag Email)')
      .requiredOption('--template <name>', 'role template from the config (see `aws-user templates`)')
      .option('--department <text>', 'tag Department')
      .option('--manager <text>', 'tag Manager')
      .option('--cost-center <text>', 'tag CostCenter')
      .option('--slack-user-id <id>', 'tag SlackUserId (where the bot DMs secrets)')
      .option('--groups <a;b>', 'extra groups on top of the template (; or , separated)', list)
      .option('--no-console', 'no console login profile, whatever the template says')
      .option('--show-password', 'print the generated console password once on stdout'),
  );
}

export function toCreateInput(ctx: CoreContext, o: CreateOpts): CreateUserInput {
  return {
    account: accountId(ctx, o.account),
    username: o.username,
    email: o.email,
    template: o.template,
    ...(o.department ? { department: o.department } : {}),
    ...(o.manager ? { manager: o.manager } : {}),
    ...(o.costCenter ? { costCenter: o.costCenter } : {}),
    ...(o.slackUserId ? { slackUserId: o.slackUserId } : {}),
    ...(o.groups ? { extraGroups: o.groups } : {}),
    ...(o.console === false ? { console: false } : {}),
  };
}

/** The password is printed only with --show-password, once, on stdout; never logged. */
export function passwordLines(r: CreateUserResult, show: boolean | undefined): string[] {
  if (!r.password) return [];
  if (show) return [`console password (shown once; a reset is required at first sign-in): ${r.password}`];
  return [
    'console password generated but NOT shown (PasswordResetRequired is set); rerun with --show-password on a fresh user to print it, or reset it in IAM',
  ];
}

export function createJson(r: CreateUserResult, show: boolean | undefined): Record<string, unknown> {
  const { password, ...rest } = r;
  return {
    ok: true,
    ...rest,
    ...(password && show ? { password } : {}),
    passwordGenerated: Boolean(password),
  };
}

export function createText(r: CreateUserResult, show: boolean | undefined): string[] {
  if (r.status === 'dry-run')
    return [`dry-run: would create ${r.username} in account ${r.account}:`, ...formatPlan(r.plan)];
  if (r.status === 'unchanged')
    return [`unchanged: ${r.username} already exists in account ${r.account} exactly as requested`];
  return [
    `created ${r.username} (${r.arn ?? '?'}) in account ${r.account}`,
    `  groups: ${r.groups.join(', ') || '-'}`,
    `  managed policies: ${r.managedPolicies.join(', ') || '-'}`,
    `  inline policies: ${r.inlinePolicies.join(', ') || '-'}`,
    ...passwordLines(r, show),
  ];
}

export async function runCreate(env: CliCommandEnv, o: CreateOpts): Promise<CreateUserResult> {
  const ctx = await context(env);
  return createUser(ctx, toCreateInput(ctx, o), cliActor(env), { dryRun: Boolean(o.dryRun) });
}

export const createUserCommand: RegisterCliCommand = (program, env) => {
  createOptions(program.command('create-user').description('create an IAM user from a role template')).action(
    async (o: CreateOpts) => {
      const r = await runCreate(env, o);
      emit(env, createJson(r, o.showPassword), () => createText(r, o.showPassword));
    },
  );
};
