import { reviewTick } from '../flows/review/lifecycle.js';
import type { Job } from './host.js';

/**
 * Every 15 minutes by default, with `review` configured: launches new campaigns, reminds reviewers, hands
 * overdue items to the fallback reviewers and closes finished campaigns (flows/review/lifecycle.ts). No
 * catch-up: the next tick comes within minutes and does the same work.
 */
export const accessReviewTick: Job = {
  name: 'access-review-tick',
  schedule: (c) => (c.review ? c.jobs.access_review_tick_schedule : 'off'),
  async run(deps) {
    const steps = await reviewTick(deps);
    const done = Object.entries(steps).filter(([, s]) => s !== 'none');
    if (done.length) deps.logger.info({ steps: Object.fromEntries(done) }, 'access-review-tick');
  },
};
