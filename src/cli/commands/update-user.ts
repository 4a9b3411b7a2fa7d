import { updateUser } from '../../core/users/update.js';
import { ValidationError } from '../../errors.js';
import type { RegisterCliCommand } from '../index.js';
import { accountId, cliActor, context, emit, formatPlan, list, mutating, repeat } from './shared.js';

export const updateUserCommand: RegisterCliCommand = (program, env) => {
  mutating(
    program
      .command('update-user')
      .description('change tags, groups or the template of an existing user')
      .requiredOption('--username <name>', 'IAM user name')
      .option('--add-groups <a;b>', 'groups to add', list)
      .option('--remove-groups <a;b>', 'groups to remove', list)
      .option('--tag <key=value>', 'set a tag (repeatable)', repeat)
      .option('--remove-tag <key>', 'remove a tag (repeatable)', repeat)
      .option('--template <name>', "switch template: the new one's grants in, the old one's out"),
  ).action(
    async (o: {
      username: string;
      addGroups?: string[];
      removeGroups?: string[];
      tag?: string[];
      removeTag?: string[];
      template?: string;
      account?: string;
      dryRun?: boolean;
    }) => {
      const setTags: Record<string, string> = {};
      for (const t of o.tag ?? []) {
        const i = t.indexOf('=');
        if (i <= 0)
          throw new ValidationError('--tag', `"${t}" is not key=value`, 'e.g. --tag Department=Sales');
        setTags[t.slice(0, i)] = t.slice(i + 1);
      }
      const ctx = await context(env);
      const r = await updateUser(
        ctx,
        {
          account: accountId(ctx, o.account),
          username: o.username,
          ...(o.addGroups ? { addGroups: o.addGroups } : {}),
          ...(o.removeGroups ? { removeGroups: o.removeGroups } : {}),
          ...(Object.keys(setTags).length ? { setTags } : {}),
          ...(o.removeTag ? { removeTags: o.removeTag } : {}),
          ...(o.template ? { template: o.template } : {}),
        },
        cliActor(env),
        { dryRun: Boolean(o.dryRun) },
      );
      const status = o.dryRun ? 'dry-run' : r.changed ? 'updated' : 'unchanged';
      emit(env, { ok: true, status, username: o.username, plan: r.plan }, () => [
        `${status}: ${o.username}`,
        ...formatPlan(r.plan),
      ]);
    },
  );
};
