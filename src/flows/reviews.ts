import { REPORT_TYPES, type ReportType, reportText, summarize } from '../core/index.js';
import type { Deps } from '../deps.js';
import { inactiveReplyText } from '../views/digest.js';
import { clip } from '../views/limits.js';
import { closeTicketsOfResolved } from './digest.js';

export { REPORT_TYPES, type ReportType };

type Reply = (text: string) => Promise<void>;

/**
 * `/aws-user inactive [account]`: approvers and admins only (the answer names users and their emails).
 * The scan may take a while, so it says so at once and answers with the findings when they are ready.
 */
export async function inactiveReview(deps: Deps, caller: string, account: string | undefined, reply: Reply) {
  if (!(await deps.roles.isApprover(caller))) {
    await reply('Only approvers and admins can run the inactive-user review.');
    return;
  }
  const n = account ? 1 : deps.core.accounts.list().length;
  await reply(`:hourglass_flowing_sand: Scanning ${n} account(s) for inactive users…`);
  const accounts = account ? [deps.core.accounts.resolve(account).id] : undefined;
  const result = await deps.core.scan({ accounts, history: { store: deps.store.history, source: 'slack' } });
  await reply(inactiveReplyText(result, summarize(result.findings)));
  await closeTicketsOfResolved(deps, result.history?.resolved ?? []);
}

/** `/aws-user report <type>`: approvers and admins only; the full CSV/JSON is the CLI's job. */
export async function typedReport(deps: Deps, caller: string, type: ReportType, reply: Reply) {
  if (!(await deps.roles.isApprover(caller))) {
    await reply('Only approvers and admins can read reports.');
    return;
  }
  await reply(`:hourglass_flowing_sand: Building the ${type} report…`);
  const r = await deps.core.generateReport(type);
  // Code block: report text is plain columns; escape the three control characters Slack interprets.
  const body = reportText(r, 20).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  await reply(`\`\`\`${clip(body, 3800)}\`\`\`\nFull CSV/JSON: \`aws-user report ${type} --format csv\``);
}
