import { describe, expect, it } from 'vitest';
import { parseFileConfig } from '../src/config.js';

describe('review and its jobs', () => {
  it('is off until configured, and parses with its defaults', () => {
    expect(parseFileConfig({ templates: {} }, 'x.yml').review).toBeUndefined();
    const cfg = parseFileConfig({ templates: {}, review: { fallback_reviewers: ['U0SECURITY'] } }, 'x.yml');
    expect(cfg.review).toEqual({
      fallback_reviewers: ['U0SECURITY'],
      due_days: 14,
      reminder_days: 3,
      escalation_days: 3,
      revoke_without_approval: false,
    });
    expect(cfg.jobs.access_review_schedule).toBe('0 9 1 1,4,7,10 *');
    expect(cfg.jobs.access_review_tick_schedule).toBe('*/15 * * * *');
    const manual = parseFileConfig(
      { templates: {}, jobs: { access_review_schedule: 'off' }, review: { fallback_reviewers: ['S0TEAM'] } },
      'x.yml',
    );
    expect(manual.jobs.access_review_schedule).toBe('off');
  });

  it('names the field and the fix for each mistake', () => {
    const bad = (extra: Record<string, unknown>) => () =>
      parseFileConfig({ templates: {}, ...extra }, 'x.yml');
    expect(bad({ review: { fallback_reviewers: [] } })).toThrow(/review\.fallback_reviewers.*at least one/);
    expect(bad({ review: { fallback_reviewers: ['jane'] } })).toThrow(
      /review\.fallback_reviewers.*Slack user/,
    );
    expect(bad({ review: { fallback_reviewers: ['U1'], due_days: 0 } })).toThrow(/review\.due_days/);
    expect(bad({ jobs: { access_review_schedule: 'quarterly' } })).toThrow(
      /jobs\.access_review_schedule.*neither a valid cron expression nor "off"/,
    );
  });
});
