import { sweepIdentityCenter } from '../../core/identity-center/people.js';
import { sweepKeyRotations } from '../../core/keys.js';
import { sweepOffboarded } from '../../core/users/offboard.js';
import type { RegisterCliCommand } from '../index.js';
import { EXIT_PARTIAL } from '../io.js';
import { cliActor, context, emit, repeat } from './shared.js';

export const sweepCommand: RegisterCliCommand = (program, env) => {
  program
    .command('sweep')
    .description(
      'finish due work: deactivate/delete rotated keys, delete offboarded users past delete-after ' +
        '(IAM, and Identity Center users past their deletion day when identity_center is configured)',
    )
    .option(
      '--account <id|name>',
      'only this account (repeatable); default: every configured account',
      repeat,
    )
    .option('--only <keys|offboarded>', 'run one half only')
    .option('--dry-run', 'report what is due and make no mutating call')
    .action(async (o: { account?: string[]; only?: string; dryRun?: boolean }) => {
      const ctx = await context(env);
      const who = cliActor(env);
      const input = o.account ? { accounts: o.account } : {};
      const opts = { dryRun: Boolean(o.dryRun) };
      const keys = o.only === 'offboarded' ? undefined : await sweepKeyRotations(ctx, input, who, opts);
      const users = o.only === 'keys' ? undefined : await sweepOffboarded(ctx, input, who, opts);
      // The Identity Store is the organization's, not an account's: --account narrows the sweep to IAM.
      const icWanted = o.only !== 'keys' && ctx.config.identity_center !== undefined;
      const ic = icWanted && !o.account ? await sweepIdentityCenter(ctx, who, opts) : undefined;
      const failed = (keys?.failed.length ?? 0) + (users?.failed.length ?? 0) + (ic?.failed.length ?? 0);
      const verb = o.dryRun ? 'due' : 'done';
      emit(
        env,
        {
          ok: failed === 0,
          dryRun: Boolean(o.dryRun),
          keys: keys ?? null,
          offboarded: users ?? null,
          identity_center: ic ?? null,
        },
        () => [
          ...(keys
            ? [
                `keys ${verb}: ${keys.deactivated.length} deactivated, ${keys.deleted.length} deleted`,
                ...keys.deactivated.map((k) => `  deactivated ${k}`),
                ...keys.deleted.map((k) => `  deleted ${k}`),
                ...keys.failed.map((f) => `  FAILED ${f.keyId}: ${f.error}`),
              ]
            : []),
          ...(users
            ? [
                `offboarded users ${verb}: ${users.deleted.length} deleted`,
                ...users.deleted.map((u) => `  deleted ${u.username} (${u.account})`),
                ...users.failed.map((f) => `  FAILED ${f.username} (${f.account}): ${f.error}`),
              ]
            : []),
          ...(ic
            ? [
                `Identity Center users ${verb}: ${ic.deleted.length} deleted`,
                ...ic.deleted.map((u) => `  deleted ${u.userName} (Identity Center)`),
                ...ic.failed.map((f) => `  FAILED ${f.userId} (Identity Center): ${f.error}`),
              ]
            : icWanted
              ? ['Identity Center users: not swept (--account narrows the sweep to IAM accounts)']
              : []),
        ],
      );
      if (failed > 0) env.setExit(EXIT_PARTIAL);
    });
};
