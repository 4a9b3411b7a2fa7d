import { describe, expect, it } from 'vitest';
import { templateSchema } from '../../src/config.js';
import {
  accessValue,
  BREAK_GLASS_CALLBACK,
  GRANT_BLOCKS,
  GRANT_REQUEST_CALLBACK,
  grantModalFor,
} from '../../src/views/grant-modal.js';

const config = {
  templates: {
    developer: templateSchema.parse({
      grantable: {
        groups: ['ProdDebug'],
        managed_policies: ['arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess'],
      },
    }),
    oncall: templateSchema.parse({
      grantable: { groups: ['ProdDebug', 'ProdAdmin'] },
      break_glass: true,
    }),
    readonly: templateSchema.parse({}),
  },
  grants: { max_duration_hours: 2 },
  break_glass: { max_duration_minutes: 45, per_user_per_day: 2 },
};
const security = { id: '111111111111', name: 'security' };
const prod = { id: '222222222222', name: 'prod' };
const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });
const option = (text: string, value: string) => ({ text: plain(text), value });

describe('grantModalFor', () => {
  it('offers the given accounts and every template’s grantable access once, up to the grants cap', () => {
    expect(grantModalFor(config, [security, prod], false)).toEqual({
      type: 'modal',
      callback_id: GRANT_REQUEST_CALLBACK,
      private_metadata: '',
      title: plain('Request access'),
      submit: plain('Request'),
      close: plain('Cancel'),
      blocks: [
        {
          type: 'input',
          block_id: GRANT_BLOCKS.account,
          label: plain('Account'),
          element: {
            type: 'static_select',
            action_id: GRANT_BLOCKS.account,
            options: [
              option('security (111111111111)', '111111111111'),
              option('prod (222222222222)', '222222222222'),
            ],
          },
        },
        {
          type: 'input',
          block_id: GRANT_BLOCKS.access,
          label: plain('Group or policy'),
          element: {
            type: 'static_select',
            action_id: GRANT_BLOCKS.access,
            options: [
              option('group ProdDebug', 'group:ProdDebug'),
              option(
                'policy AmazonRDSReadOnlyAccess',
                accessValue('policy', 'arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess'),
              ),
              option('group ProdAdmin', 'group:ProdAdmin'),
            ],
          },
        },
        {
          type: 'input',
          block_id: GRANT_BLOCKS.duration,
          label: plain('For how long'),
          element: {
            type: 'static_select',
            action_id: GRANT_BLOCKS.duration,
            options: [
              option('15 min', '15'),
              option('30 min', '30'),
              option('1 h', '60'),
              option('2 h', '120'),
            ],
          },
        },
        {
          type: 'input',
          block_id: GRANT_BLOCKS.reason,
          label: plain('Justification'),
          element: {
            type: 'plain_text_input',
            action_id: GRANT_BLOCKS.reason,
            multiline: true,
            min_length: 3,
            max_length: 1000,
          },
        },
      ],
    });
  });

  it('offers only break-glass templates’ access, preselects a lone account and caps at the break-glass limit', () => {
    expect(grantModalFor(config, [prod], true)).toEqual({
      type: 'modal',
      callback_id: BREAK_GLASS_CALLBACK,
      private_metadata: '',
      title: plain('Break-glass access'),
      submit: plain('Grant now'),
      close: plain('Cancel'),
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: ':rotating_light: *Break-glass* grants access at once, without an approver. Every admin and the approvals channel are told, and the grant is flagged for review. Capped at 45 min.',
          },
        },
        {
          type: 'input',
          block_id: GRANT_BLOCKS.account,
          label: plain('Account'),
          element: {
            type: 'static_select',
            action_id: GRANT_BLOCKS.account,
            options: [option('prod (222222222222)', '222222222222')],
            initial_option: option('prod (222222222222)', '222222222222'),
          },
        },
        {
          type: 'input',
          block_id: GRANT_BLOCKS.access,
          label: plain('Group or policy'),
          element: {
            type: 'static_select',
            action_id: GRANT_BLOCKS.access,
            options: [
              option('group ProdDebug', 'group:ProdDebug'),
              option('group ProdAdmin', 'group:ProdAdmin'),
            ],
          },
        },
        {
          type: 'input',
          block_id: GRANT_BLOCKS.duration,
          label: plain('For how long'),
          element: {
            type: 'static_select',
            action_id: GRANT_BLOCKS.duration,
            options: [option('15 min', '15'), option('30 min', '30'), option('45 min', '45')],
          },
        },
        {
          type: 'input',
          block_id: GRANT_BLOCKS.reason,
          label: plain('Reason (required, reviewed later)'),
          element: {
            type: 'plain_text_input',
            action_id: GRANT_BLOCKS.reason,
            multiline: true,
            min_length: 10,
            max_length: 1000,
          },
        },
      ],
    });
  });

  it('offers access by a short id, long customer-managed policy ARNs included, and says so when nothing is left', () => {
    const longArn = `arn:aws:iam::123456789012:policy/${'d'.repeat(512)}/${'p'.repeat(128)}`;
    const only = (managed_policies: string[]) => ({
      ...config,
      templates: { t: templateSchema.parse({ grantable: { managed_policies } }) },
    });
    expect(grantModalFor(only([]), [prod], false)).toEqual({
      type: 'modal',
      title: plain('Request access'),
      close: plain('Close'),
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: 'Nothing to request: no account, or no template allows time-bound access. An admin can add groups or policies under `templates.<name>.grantable`, or Identity Center permission sets under `permission_sets`.',
          },
        },
      ],
    });
    const access = grantModalFor(only([longArn, 'arn:aws:iam::aws:policy/ReadOnlyAccess']), [prod], false)
      .blocks[1];
    expect(access).toEqual({
      type: 'input',
      block_id: GRANT_BLOCKS.access,
      label: plain('Group or policy'),
      element: {
        type: 'static_select',
        action_id: GRANT_BLOCKS.access,
        options: [
          option(`policy ${'p'.repeat(67)}…`, accessValue('policy', longArn)),
          option('policy ReadOnlyAccess', accessValue('policy', 'arn:aws:iam::aws:policy/ReadOnlyAccess')),
        ],
      },
    });
    expect(accessValue('policy', longArn)).toMatch(/^policy#[0-9a-f]{20}$/);
  });
});
