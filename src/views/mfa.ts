import type { InputBlock, KnownBlock, ModalView } from '@slack/types';
import { escapeText } from './escape.js';

export const MFA_OPEN_CODES_ACTION = 'mfa_open_codes';
export const MFA_CODES_CALLBACK = 'mfa_codes_modal';
export const MFA_BLOCKS = { code1: 'mfa_code1', code2: 'mfa_code2' } as const;

/** The DM that accompanies the QR code. The button carries only the enrollment id. */
export function mfaPromptMessage(e: { id: string; username: string; account: string }): {
  text: string;
  blocks: KnownBlock[];
} {
  const text = `Scan the QR code above with your authenticator app to add MFA to IAM user \`${escapeText(e.username)}\` (account ${escapeText(e.account)}), then enter two consecutive codes. This enrollment is cancelled after 15 minutes.`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: 'mfa_actions',
        elements: [
          {
            type: 'button',
            action_id: MFA_OPEN_CODES_ACTION,
            style: 'primary',
            text: { type: 'plain_text', text: 'Enter codes' },
            value: e.id,
          },
        ],
      },
    ],
  };
}

export function mfaCodesModal(enrollmentId: string, username: string): ModalView {
  const code = (id: string, label: string): InputBlock => ({
    type: 'input',
    block_id: id,
    label: { type: 'plain_text', text: label },
    element: {
      type: 'plain_text_input',
      action_id: id,
      min_length: 6,
      max_length: 6,
      placeholder: { type: 'plain_text', text: '123456' },
    },
  });
  return {
    type: 'modal',
    callback_id: MFA_CODES_CALLBACK,
    private_metadata: enrollmentId,
    title: { type: 'plain_text', text: 'Enable MFA' },
    submit: { type: 'plain_text', text: 'Enable' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Two consecutive codes for \`${escapeText(username)}\`: enter one, wait for the next, enter it.`,
        },
      },
      code(MFA_BLOCKS.code1, 'First code'),
      code(MFA_BLOCKS.code2, 'Next code'),
    ],
  };
}
