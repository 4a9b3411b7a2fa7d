import pLimit from 'p-limit';
import { checkReachable, type Reachability } from '../../core/aws/accounts.js';
import { textTable } from '../../core/text-table.js';
import { buildContext } from '../context.js';
import type { RegisterCliCommand } from '../index.js';
import { EXIT_OK, EXIT_PARTIAL } from '../io.js';
import { int } from './shared.js';

interface AccountsCliOptions {
  check?: boolean;
  concurrency?: number;
}

/**
 * `aws-user accounts`: every managed account (the static ones merged with Organizations discovery) with
 * where it comes from and how the bot reaches it; `--check` tries each (AssumeRole + one IAM read). Exit 0,
 * 1 when --check finds an unreachable account, 2 on a usage, config or discovery error.
 */
export const accountsCommand: RegisterCliCommand = (program, env) => {
  program
    .command('accounts')
    .description(
      'list the managed accounts (config and AWS Organizations) and, with --check, whether each is reachable',
    )
    .option('--check', 'assume each account’s role and make one IAM read; exit 1 if any fails')
    .option(
      '--concurrency <n>',
      'accounts checked at once (default: inactivity.concurrency)',
      int('--concurrency'),
    )
    .action(async (opts: AccountsCliOptions) => {
      const globals = env.globals();
      const ctx = await buildContext(globals, env.deps);
      const clients = ctx.clients;
      const accounts = clients.managed();
      const reach = new Map<string, Reachability>();
      if (opts.check) {
        const limit = pLimit(Math.max(1, opts.concurrency || ctx.config.inactivity.concurrency));
        await Promise.all(
          accounts.map((a) => limit(async () => reach.set(a.id, await checkReachable(clients, a.id)))),
        );
      }
      const rows = accounts.map((a) => ({
        id: a.id,
        name: a.name,
        source: clients.sourceOf(a.id),
        region: a.region,
        // No role: the bot's own credentials (the home account).
        role_arn: a.role_arn ?? null,
        ...(opts.check
          ? { reachable: reach.get(a.id)?.ok ?? false, error: reach.get(a.id)?.error ?? null }
          : {}),
      }));
      const unreachable = rows.filter((r) => r.reachable === false);
      if (globals.json)
        env.io.out(
          `${JSON.stringify({
            ok: unreachable.length === 0,
            discovered_at: clients.discoveredAt?.toISOString() ?? null,
            accounts: rows,
          })}\n`,
        );
      else {
        const head = ['Account', 'Id', 'Source', 'Region', 'Role'];
        const lines = textTable(
          opts.check ? [...head, 'Reachable'] : head,
          rows.map((r) => {
            const cells = [r.name, r.id, r.source, r.region, r.role_arn ?? '(own credentials)'];
            return opts.check ? [...cells, r.reachable ? 'yes' : `no: ${r.error}`] : cells;
          }),
          { lastMaxWidth: 200 },
        );
        for (const line of lines) env.io.out(`${line}\n`);
        const bySource = rows.filter((r) => r.source === 'organization').length;
        env.io.out(
          `${rows.length} account(s): ${rows.length - bySource} from the config, ${bySource} from the organization${opts.check ? `; ${unreachable.length} unreachable` : ''}\n`,
        );
      }
      env.setExit(unreachable.length > 0 ? EXIT_PARTIAL : EXIT_OK);
    });
};
