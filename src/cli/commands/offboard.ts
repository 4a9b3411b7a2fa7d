import type { CoreContext } from '../../core/context.js';
import { identityCenter } from '../../core/identity-center/directory.js';
import { identityRemoveAfterDays, offboardIdentityUser } from '../../core/identity-center/people.js';
import { offboardUser } from '../../core/users/offboard.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { CliCommandEnv, RegisterCliCommand } from '../index.js';
import { accountId, cliActor, context, emit, formatPlan, int, mutating } from './shared.js';

interface OffboardOptions {
  username: string;
  removeAfter?: number;
  account?: string;
  dryRun?: boolean;
  identityCenter?: boolean;
}

export const offboardCommand: RegisterCliCommand = (program, env) => {
  mutating(
    program
      .command('offboard')
      .description(
        'cut a leaver off (console, keys, groups, policies), keeping the user; optionally delete later',
      )
      .requiredOption('--username <name>', 'IAM user name (with --identity-center: Identity Center UserName)')
      .option(
        '--remove-after <days>',
        'tag aws-user:delete-after; `sweep` deletes the user after that',
        int('--remove-after'),
      )
      .option(
        '--identity-center',
        'offboard the IAM Identity Center user instead: end every group membership and direct account ' +
          'assignment; `sweep` deletes the user --remove-after days later (default identity_center.remove_after_days, 30)',
      ),
  ).action(async (o: OffboardOptions) => {
    if (o.identityCenter) return offboardIdentityCenter(env, o);
    const ctx = await context(env);
    const r = await offboardUser(
      ctx,
      {
        account: accountId(ctx, o.account),
        username: o.username,
        ...(o.removeAfter !== undefined ? { removeAfterDays: o.removeAfter } : {}),
      },
      cliActor(env),
      { dryRun: Boolean(o.dryRun) },
    ).catch((err: unknown) => hintIdentityCenter(ctx, o.username, err));
    emit(env, { ok: true, username: o.username, ...r }, () => [
      `${r.status}: ${o.username} (previous configuration recorded in the audit event)`,
      ...formatPlan(r.plan),
    ]);
  });
};

async function offboardIdentityCenter(env: CliCommandEnv, o: OffboardOptions): Promise<void> {
  if (o.account !== undefined)
    throw new ValidationError(
      '--account',
      'does not apply to --identity-center: an Identity Center user belongs to the organization, and its ' +
        'assignments in every account are removed',
      'drop --account',
    );
  const ctx = await context(env);
  const r = await offboardIdentityUser(
    ctx,
    { userName: o.username, removeAfterDays: o.removeAfter ?? identityRemoveAfterDays(ctx.config) },
    cliActor(env),
    { dryRun: Boolean(o.dryRun) },
  );
  emit(env, { ok: true, username: o.username, identity_center: true, ...r }, () => [
    `${r.status}: ${r.userName} (Identity Center user ${r.userId}; previous access recorded in the audit event)`,
    ...formatPlan(r.plan),
    ...(r.deleteAfter ? [`  deleted by \`aws-user sweep\` on or after ${r.deleteAfter}`] : []),
  ]);
}

/** An IAM user that is not there, when Identity Center has one of that name: say which flag was meant. */
async function hintIdentityCenter(ctx: CoreContext, username: string, err: unknown): Promise<never> {
  if (err instanceof NotFoundError && ctx.config.identity_center) {
    const userId = await identityCenter(ctx)
      .userId({ userName: username })
      .catch(() => undefined);
    if (userId)
      throw new NotFoundError(
        `${err.message}; "${username}" is an Identity Center user: add --identity-center to offboard it`,
        { cause: err },
      );
  }
  throw err;
}
