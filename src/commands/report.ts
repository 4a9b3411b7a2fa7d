import { generateReport, REPORT_TYPES, type ReportType, reportText } from '../core/reports.js';
import { clip } from '../views/escape.js';
import type { Subcommand } from './types.js';

/** `/aws-user report <access|compliance|security|cost>`: acked by the router, answered when built. */
export const report: Subcommand = {
  name: 'report',
  usage: `report <${REPORT_TYPES.join('|')}>`,
  summary: 'access, compliance, security or cost report across accounts (approvers and admins)',
  check: (args) =>
    args.length !== 1 || !(REPORT_TYPES as readonly string[]).includes(args[0] ?? '')
      ? `needs one report type: ${REPORT_TYPES.join(', ')}`
      : undefined,
  handler: (deps) => async (c) => {
    if (!(await deps.roles.isApprover(c.command.user_id))) {
      await c.reply('Only approvers and admins can read reports.');
      return;
    }
    const type = c.args[0] as ReportType;
    await c.reply(`:hourglass_flowing_sand: Building the ${type} report…`);
    const r = await generateReport(deps.core, type);
    // Code block: report text is plain columns; escape the three control characters Slack interprets.
    const body = reportText(r, 20).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    await c.reply(`\`\`\`${clip(body, 3800)}\`\`\`\nFull CSV/JSON: \`aws-user report ${type} --format csv\``);
  },
};
