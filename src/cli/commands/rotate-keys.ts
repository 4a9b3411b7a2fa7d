import { rotateAccessKey, rotateOldKeys } from '../../core/keys.js';
import { ValidationError } from '../../errors.js';
import type { RegisterCliCommand } from '../index.js';
import { EXIT_PARTIAL } from '../io.js';
import { accountId, cliActor, context, emit, formatPlan, int, mutating } from './shared.js';

export const rotateKeysCommand: RegisterCliCommand = (program, env) => {
  mutating(
    program
      .command('rotate-keys')
      .description('new key now; old key deactivated after a grace period and deleted later (by `sweep`)')
      .option('--username <name>', 'rotate this user')
      .option('--all', 'rotate every user with an active key older than --older-than days')
      .option('--older-than <days>', 'with --all: key age threshold', int('--older-than'))
      .option(
        '--grace-days <n>',
        'days before the old key is deactivated (default keys.grace_days)',
        int('--grace-days'),
      )
      .option(
        '--delete-after-days <n>',
        'days after deactivation before deletion (default keys.delete_after_days)',
        int('--delete-after-days'),
      )
      .option('--show-secret', 'print new secret access keys once on stdout'),
  ).action(
    async (o: {
      username?: string;
      all?: boolean;
      olderThan?: number;
      graceDays?: number;
      deleteAfterDays?: number;
      showSecret?: boolean;
      account?: string;
      dryRun?: boolean;
    }) => {
      if (Boolean(o.username) === Boolean(o.all)) {
        throw new ValidationError(
          '--username/--all',
          'give exactly one',
          'rotate-keys --username U, or --all --older-than N',
        );
      }
      if (o.all && o.olderThan === undefined)
        throw new ValidationError('--older-than', 'is required with --all', 'e.g. --older-than 90');
      const ctx = await context(env);
      const who = cliActor(env);
      const secret = (s: string | undefined) => (o.showSecret && s ? { secretAccessKey: s } : {});
      const hidden = 'secret NOT shown (use --show-secret); it cannot be retrieved later';
      if (o.username) {
        const r = await rotateAccessKey(
          ctx,
          {
            account: accountId(ctx, o.account),
            username: o.username,
            ...(o.graceDays !== undefined ? { graceDays: o.graceDays } : {}),
            ...(o.deleteAfterDays !== undefined ? { deleteAfterDays: o.deleteAfterDays } : {}),
          },
          who,
          { dryRun: Boolean(o.dryRun) },
        );
        const { newKey, ...rest } = r;
        emit(
          env,
          {
            ok: true,
            username: o.username,
            ...rest,
            ...(newKey ? { accessKeyId: newKey.accessKeyId, ...secret(newKey.secretAccessKey) } : {}),
          },
          () => [
            o.dryRun
              ? `dry-run: would rotate ${o.username}:`
              : `rotated ${o.username}: new key ${newKey?.accessKeyId}`,
            ...(o.dryRun ? formatPlan(r.plan) : []),
            `  old key(s) ${r.oldKeyIds.join(', ') || '-'}: deactivate at ${r.deactivateAt}, delete at ${r.deleteAt} (run sweep)`,
            ...(newKey
              ? [o.showSecret ? `  secret access key (shown once): ${newKey.secretAccessKey}` : `  ${hidden}`]
              : []),
          ],
        );
        return;
      }
      const r = await rotateOldKeys(
        ctx,
        { account: accountId(ctx, o.account), olderThanDays: o.olderThan as number },
        who,
        {
          dryRun: Boolean(o.dryRun),
        },
      );
      const rotated: {
        username: string;
        oldKeyIds: string[];
        accessKeyId?: string;
        secretAccessKey?: string;
      }[] = r.rotated.map((x) => ({
        username: x.username,
        oldKeyIds: x.oldKeyIds,
        ...(x.newKey ? { accessKeyId: x.newKey.accessKeyId, ...secret(x.newKey.secretAccessKey) } : {}),
      }));
      emit(env, { ok: r.failed.length === 0, rotated, failed: r.failed }, () => [
        ...rotated.map(
          (x) =>
            `${o.dryRun ? 'would rotate' : 'rotated'} ${x.username}: old ${x.oldKeyIds.join(', ')}${x.accessKeyId ? ` → new ${x.accessKeyId}` : ''}${x.secretAccessKey ? ` secret ${x.secretAccessKey}` : ''}`,
        ),
        ...r.failed.map((f) => `FAILED ${f.username}: ${f.error}`),
        `${rotated.length} rotated, ${r.failed.length} failed${rotated.length && !o.showSecret && !o.dryRun ? `; ${hidden}` : ''}`,
      ]);
      if (r.failed.length > 0) env.setExit(EXIT_PARTIAL);
    },
  );
};
