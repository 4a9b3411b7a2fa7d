import { loadConfig } from '../../config.js';
import { textTable } from '../../core/text-table.js';
import type { RegisterCliCommand } from '../index.js';

export const templatesCommand: RegisterCliCommand = (program, env) => {
  program
    .command('templates')
    .description('list the role templates in the config')
    .action(() => {
      // Listing templates needs the config alone: no clients, so no STS call for the home account.
      const config = loadConfig(env.deps.env, env.globals().config);
      const rows = Object.entries(config.templates).map(([name, t]) => ({
        name,
        description: t.description,
        groups: t.groups,
        managed_policies: t.managed_policies,
        approvals_required: t.approvals_required,
      }));
      if (env.globals().json) env.io.out(`${JSON.stringify({ ok: true, templates: rows })}\n`);
      else
        for (const line of textTable(
          ['Template', 'Groups', 'Approvals', 'Description'],
          rows.map((r) => [r.name, r.groups.join(','), r.approvals_required, r.description]),
          { lastMaxWidth: 200 },
        ))
          env.io.out(`${line}\n`);
    });
};
