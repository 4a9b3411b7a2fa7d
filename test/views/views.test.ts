import { describe, expect, it } from 'vitest';
import type { PendingRequest } from '../../src/store/types.js';
import {
  APPROVAL_ACTIONS_BLOCK,
  APPROVE_ACTION,
  approvalMessage,
  DENY_ACTION,
} from '../../src/views/approval.js';
import {
  CREATE_BLOCKS,
  CREATE_CALLBACK,
  createModal,
  suggestUsername,
  USER_PICKED_ACTION,
} from '../../src/views/create-modal.js';
import { escapeText } from '../../src/views/escape.js';
import { clip } from '../../src/views/limits.js';
import {
  MFA_BLOCKS,
  MFA_CODES_CALLBACK,
  MFA_OPEN_CODES_ACTION,
  mfaCodesModal,
  mfaPromptMessage,
} from '../../src/views/mfa.js';
import { closedText } from '../../src/views/request-status.js';
import { testConfig } from '../helpers/core.js';

const request: PendingRequest = {
  id: 'req-1',
  kind: 'create',
  requester: 'UREQ',
  target: { username: 'alice', email: 'alice@example.com', slackUserId: 'UALICE' },
  template: 'developer',
  account: '123456789012',
  justification: 'New hire <!channel> & <@UEVIL>',
  extraGroups: [],
  approvalsNeeded: 1,
  adminOnly: false,
  approvals: [],
  status: 'pending',
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-04T00:00:00.000Z',
};

describe('escapeText / clip', () => {
  it('escapes Slack control characters so mentions in user text stay text', () => {
    expect(escapeText('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });
  it('clips long text visibly', () => {
    expect(clip('x'.repeat(5000), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('approvalMessage', () => {
  it('builds the pending message, with buttons carrying only the request id', () => {
    expect(approvalMessage(request)).toEqual({
      text: 'Create IAM user alice from template developer: Waiting for approval',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: 'Create IAM user `alice` from template *developer*' },
        },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Requested by*\n<@UREQ>' },
            { type: 'mrkdwn', text: '*Account*\n123456789012' },
            { type: 'mrkdwn', text: '*Owner*\n<@UALICE>' },
            { type: 'mrkdwn', text: '*Approvals*\n0/1' },
          ],
        },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '*Justification*\nNew hire &lt;!channel&gt; &amp; &lt;@UEVIL&gt;' },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: ':hourglass_flowing_sand: Waiting for approval (expires <!date^1767484800^{date_short_pretty} {time}|2026-01-04T00:00:00.000Z>)',
          },
        },
        {
          type: 'actions',
          block_id: APPROVAL_ACTIONS_BLOCK,
          elements: [
            {
              type: 'button',
              action_id: APPROVE_ACTION,
              style: 'primary',
              text: { type: 'plain_text', text: 'Approve' },
              value: 'req-1',
            },
            {
              type: 'button',
              action_id: DENY_ACTION,
              style: 'danger',
              text: { type: 'plain_text', text: 'Deny' },
              value: 'req-1',
            },
          ],
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Request `req-1`' }] },
      ],
    });
  });

  it('drops the buttons once decided and says who acted', () => {
    const denied = approvalMessage({
      ...request,
      status: 'denied',
      decidedBy: 'UAPP',
      decidedAt: '2026-01-02T00:00:00.000Z',
      outcome: 'denied',
    });
    expect(JSON.stringify(denied.blocks)).not.toContain(APPROVE_ACTION);
    expect(JSON.stringify(denied.blocks)).toContain(':no_entry: Denied by <@UAPP>');
    const failed = approvalMessage({
      ...request,
      status: 'failed',
      outcome: 'step "AddUserToGroup" failed; rolled back: CreateUser',
    });
    expect(failed.text).toBe('Create IAM user alice from template developer: Failed');
    expect(JSON.stringify(failed.blocks)).toContain('rolled back: CreateUser');
  });

  it('keeps every text object within Slack’s 3,000 characters', () => {
    const long = approvalMessage({ ...request, justification: 'y'.repeat(10_000) });
    for (const b of long.blocks as { text?: { text: string } }[])
      expect((b.text?.text ?? '').length).toBeLessThanOrEqual(3000);
  });
});

describe('createModal', () => {
  const config = testConfig();
  it('is a modal with the documented ids, one option per template, and the mode in private_metadata', () => {
    const view = createModal(config, [], { mode: 'create' }) as {
      callback_id: string;
      private_metadata: string;
      blocks: { block_id: string; element: { action_id: string; options?: { value: string }[] } }[];
    };
    expect(view.callback_id).toBe(CREATE_CALLBACK);
    expect(JSON.parse(view.private_metadata)).toEqual({ mode: 'create' });
    expect(view.blocks.map((b) => b.block_id)).toEqual([
      CREATE_BLOCKS.owner,
      CREATE_BLOCKS.username,
      CREATE_BLOCKS.email,
      CREATE_BLOCKS.template,
      CREATE_BLOCKS.groups,
      CREATE_BLOCKS.justification,
      CREATE_BLOCKS.duration,
    ]);
    expect(view.blocks[0]?.element.action_id).toBe(USER_PICKED_ACTION);
    expect(view.blocks[3]?.element.options?.map((o) => o.value)).toEqual(Object.keys(config.templates));
    expect(view.blocks.length).toBeLessThanOrEqual(100);
  });

  it('adds the account select when accounts are configured, defaulting to home, and HR fields for onboard', () => {
    const accounts = [
      { id: '222222222222', name: 'prod' },
      { id: '111111111111', name: 'security' },
    ];
    const view = createModal({ ...config, home_account: '111111111111' }, accounts, { mode: 'onboard' }) as {
      blocks: { block_id: string; element: { initial_option?: { value: string } } }[];
    };
    const account = view.blocks.find((b) => b.block_id === CREATE_BLOCKS.account);
    expect(account?.element.initial_option?.value).toBe('111111111111');
    expect(view.blocks.map((b) => b.block_id)).toEqual(
      expect.arrayContaining([CREATE_BLOCKS.department, CREATE_BLOCKS.manager]),
    );
  });

  it('offers the resolved accounts by id, preselecting a lone one', () => {
    const view = createModal(config, [{ id: '123456789012', name: 'main' }], { mode: 'create' });
    const option = {
      text: { type: 'plain_text', text: 'main (123456789012)', emoji: true },
      value: '123456789012',
    };
    expect(view.blocks.find((b) => b.block_id === CREATE_BLOCKS.account)).toEqual({
      type: 'input',
      block_id: CREATE_BLOCKS.account,
      label: { type: 'plain_text', text: 'Account', emoji: true },
      element: {
        type: 'static_select',
        action_id: CREATE_BLOCKS.account,
        options: [option],
        initial_option: option,
      },
    });
  });

  it('prefills from the picked user', () => {
    const view = createModal(
      config,
      [],
      { mode: 'create' },
      { slackUserId: 'UALICE', username: 'alice', email: 'alice@example.com' },
    ) as unknown as { blocks: { block_id: string; element: Record<string, unknown> }[] };
    const by = (id: string) => view.blocks.find((b) => b.block_id === id)?.element;
    expect(by(CREATE_BLOCKS.owner)?.initial_user).toBe('UALICE');
    expect(by(CREATE_BLOCKS.username)?.initial_value).toBe('alice');
    expect(by(CREATE_BLOCKS.email)?.initial_value).toBe('alice@example.com');
  });

  it('suggests an IAM-safe user name from an email', () => {
    expect(suggestUsername('Jane.Doe+aws@example.com')).toBe('jane.doe+aws');
    expect(suggestUsername('josé@example.com')).toBe('jos');
    expect(suggestUsername(undefined)).toBeUndefined();
  });
});

describe('MFA views', () => {
  it('the prompt button carries only the enrollment id', () => {
    const m = mfaPromptMessage({ id: 'enr-1', username: 'alice', account: 'home' });
    const button = (m.blocks[1] as { elements: { action_id: string; value: string }[] }).elements[0];
    expect(button).toMatchObject({ action_id: MFA_OPEN_CODES_ACTION, value: 'enr-1' });
  });
  it('the codes modal has two six-digit inputs and the enrollment id', () => {
    const v = mfaCodesModal('enr-1', 'alice') as {
      callback_id: string;
      private_metadata: string;
      blocks: { block_id?: string }[];
    };
    expect(v.callback_id).toBe(MFA_CODES_CALLBACK);
    expect(v.private_metadata).toBe('enr-1');
    expect(v.blocks.map((b) => b.block_id).filter(Boolean)).toEqual([MFA_BLOCKS.code1, MFA_BLOCKS.code2]);
  });
});

describe('closedText', () => {
  it('escapes a failed request’s outcome, so an error quoting <!channel> stays text', () => {
    const text = closedText({
      id: 'r1',
      kind: 'create',
      requester: 'U1',
      target: { username: 'x' },
      account: '123456789012',
      justification: 'j',
      extraGroups: [],
      approvalsNeeded: 1,
      adminOnly: false,
      approvals: [],
      status: 'failed',
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-02T00:00:00.000Z',
      decidedBy: 'U2',
      outcome: 'IAM said <!channel> & <https://evil|click>',
    });
    expect(text).toContain('IAM said &lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
  });
});
