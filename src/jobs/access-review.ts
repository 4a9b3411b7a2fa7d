import { startAndLaunch } from '../flows/review/lifecycle.js';
import type { Job } from './host.js';

/**
 * The scheduled campaign (quarterly by default) over review.accounts, launched at once. A quarter's
 * campaign missed during a deploy or an outage starts at the next start: an auditor expects one per period.
 * `off` (or no `review` section) leaves campaigns to `aws-user review start` and the slash command.
 */
export const accessReview: Job = {
  name: 'access-review',
  schedule: (c) => (c.review ? c.jobs.access_review_schedule : 'off'),
  catchUp: true,
  async run(deps) {
    const review = deps.config.review;
    if (!review) return;
    const { started, launch } = await startAndLaunch(deps, {
      accounts: review.accounts,
      createdBy: 'job:access-review',
    });
    deps.logger.info(
      { campaign: started.campaign.id, items: started.summary.items, ...launch },
      'access-review: campaign started',
    );
  },
};
