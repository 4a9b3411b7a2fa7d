import { REPORT_TYPES, type ReportType, typedReport } from '../flows/reviews.js';
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
  handler: (deps) => (c) => typedReport(deps, c.command.user_id, c.args[0] as ReportType, c.reply),
};
