import { sendExpiryNotices } from '../flows/grants.js';
import type { Job } from './host.js';

/** DMs each holder 15 minutes before their grant expires, with Extend and I'm done. */
export const grantNotice: Job = {
  name: 'grant-notice',
  schedule: (c) => c.jobs.grant_revoke_schedule,
  async run(deps) {
    await sendExpiryNotices(deps);
  },
};
