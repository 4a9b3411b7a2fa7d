import { deleteUser } from '../../core/users/delete.js';
import type { RegisterCliCommand } from '../index.js';
import { accountId, cliActor, context, emit, formatPlan, mutating } from './shared.js';

export const deleteUserCommand: RegisterCliCommand = (program, env) => {
  mutating(
    program
      .command('delete-user')
      .description('delete a user and everything attached to it, in the order AWS requires')
      .requiredOption('--username <name>', 'IAM user name'),
  ).action(async (o: { username: string; account?: string; dryRun?: boolean }) => {
    const ctx = await context(env);
    const r = await deleteUser(
      ctx,
      { account: accountId(ctx, o.account), username: o.username },
      cliActor(env),
      {
        dryRun: Boolean(o.dryRun),
      },
    );
    emit(env, { ok: true, username: o.username, ...r }, () => {
      if (r.status === 'absent') return [`absent: ${o.username} does not exist (nothing to do)`];
      if (r.status === 'dry-run') return [`dry-run: would delete ${o.username}:`, ...formatPlan(r.plan)];
      return [`deleted ${o.username}`, ...r.removed.map((x) => `  ${x}`)];
    });
  });
};
