import { offboardUser } from '../../core/users/offboard.js';
import type { RegisterCliCommand } from '../index.js';
import { accountId, cliActor, context, emit, formatPlan, int, mutating } from './shared.js';

export const offboardCommand: RegisterCliCommand = (program, env) => {
  mutating(
    program
      .command('offboard')
      .description(
        'cut a leaver off (console, keys, groups, policies), keeping the user; optionally delete later',
      )
      .requiredOption('--username <name>', 'IAM user name')
      .option(
        '--remove-after <days>',
        'tag aws-user:delete-after; `sweep` deletes the user after that',
        int('--remove-after'),
      ),
  ).action(async (o: { username: string; removeAfter?: number; account?: string; dryRun?: boolean }) => {
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
    );
    emit(env, { ok: true, username: o.username, ...r }, () => [
      `${r.status}: ${o.username} (previous configuration recorded in the audit event)`,
      ...formatPlan(r.plan),
    ]);
  });
};
