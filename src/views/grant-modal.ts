import type { KnownBlock, ModalView, PlainTextElement } from '@slack/types';
import type { FileConfig } from '../config.js';
import { type GrantKind, grantableFor } from '../core/index.js';
import { clip, MODAL_TITLE_MAX, OPTION_TEXT_MAX, OPTION_VALUE_MAX, SELECT_MAX_OPTIONS } from './limits.js';

/**
 * The request and break-glass modal for time-bound access. Pure: data in, JSON out. The submission is checked
 * again against the caller's own template, so what the modal offers is a convenience, not the rule.
 */
export const GRANT_REQUEST_CALLBACK = 'grant_request_submit';
export const BREAK_GLASS_CALLBACK = 'break_glass_submit';
/** Each input's action_id equals its block id, as everywhere in src/views. */
export const GRANT_BLOCKS = {
  account: 'grant_account',
  access: 'grant_access',
  duration: 'grant_duration',
  reason: 'grant_reason',
} as const;

function plain(text: string, max = OPTION_TEXT_MAX): PlainTextElement {
  return { type: 'plain_text', text: clip(text, max), emoji: true };
}

/** `group:ProdDebug` / `policy:arn:…`: the option value the modal submits. */
export function accessValue(kind: GrantKind, target: string): string {
  return `${kind}:${target}`;
}

export function parseAccessValue(value: string): { kind: GrantKind; target: string } | undefined {
  const i = value.indexOf(':');
  const kind = value.slice(0, i);
  if (kind !== 'group' && kind !== 'policy') return undefined;
  return { kind, target: value.slice(i + 1) };
}

export function accessLabel(kind: GrantKind, target: string): string {
  return kind === 'group' ? `group ${target}` : `policy ${target.split('/').pop() ?? target}`;
}

/** Sensible steps up to the cap, and the cap itself. */
export function durationChoices(maxMinutes: number): number[] {
  const steps = [15, 30, 60, 120, 240, 480, 720, 1440, 2880, 4320].filter((m) => m < maxMinutes);
  return [...steps, maxMinutes];
}

export function formatMinutes(m: number): string {
  if (m < 60) return `${m} min`;
  if (m % 60 === 0) return `${m / 60} h`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export interface GrantAccount {
  id: string;
  name: string;
}

export interface GrantModalInput {
  breakGlass: boolean;
  accounts: readonly GrantAccount[];
  access: { kind: GrantKind; target: string }[];
  maxMinutes: number;
  privateMetadata: string;
}

export function grantRequestModal(input: GrantModalInput): ModalView {
  const title = input.breakGlass ? 'Break-glass access' : 'Request access';
  // A value Slack would cut cannot be submitted back, and one over-long option fails the whole modal.
  const access = input.access
    .filter((a) => accessValue(a.kind, a.target).length <= OPTION_VALUE_MAX)
    .slice(0, SELECT_MAX_OPTIONS);
  if (access.length === 0 || input.accounts.length === 0) {
    // Slack rejects a select with no options, and a modal with nothing to choose has nothing to submit.
    return {
      type: 'modal',
      title: plain(title, MODAL_TITLE_MAX),
      close: plain('Close', MODAL_TITLE_MAX),
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `Nothing to ${input.breakGlass ? 'break glass into' : 'request'}: no account, or no template allows time-bound access. An admin can add groups or policies under \`templates.<name>.grantable\`.`,
          },
        },
      ],
    };
  }
  const blocks: KnownBlock[] = [];
  if (input.breakGlass) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:rotating_light: *Break-glass* grants access at once, without an approver. Every admin and the approvals channel are told, and the grant is flagged for review. Capped at ${formatMinutes(input.maxMinutes)}.`,
      },
    });
  }
  blocks.push(
    {
      type: 'input',
      block_id: GRANT_BLOCKS.account,
      label: plain('Account'),
      element: {
        type: 'static_select',
        action_id: GRANT_BLOCKS.account,
        options: input.accounts
          .slice(0, SELECT_MAX_OPTIONS)
          .map((a) => ({ text: plain(`${a.name} (${a.id})`), value: a.id })),
        ...(input.accounts.length === 1 && input.accounts[0]
          ? {
              initial_option: {
                text: plain(`${input.accounts[0].name} (${input.accounts[0].id})`),
                value: input.accounts[0].id,
              },
            }
          : {}),
      },
    },
    {
      type: 'input',
      block_id: GRANT_BLOCKS.access,
      label: plain('Group or policy'),
      element: {
        type: 'static_select',
        action_id: GRANT_BLOCKS.access,
        options: access.map((a) => ({
          text: plain(accessLabel(a.kind, a.target)),
          value: accessValue(a.kind, a.target),
        })),
      },
    },
    {
      type: 'input',
      block_id: GRANT_BLOCKS.duration,
      label: plain('For how long'),
      element: {
        type: 'static_select',
        action_id: GRANT_BLOCKS.duration,
        options: durationChoices(input.maxMinutes).map((m) => ({
          text: plain(formatMinutes(m)),
          value: String(m),
        })),
      },
    },
    {
      type: 'input',
      block_id: GRANT_BLOCKS.reason,
      label: plain(input.breakGlass ? 'Reason (required, reviewed later)' : 'Justification'),
      element: {
        type: 'plain_text_input',
        action_id: GRANT_BLOCKS.reason,
        multiline: true,
        min_length: input.breakGlass ? 10 : 3,
        max_length: 1000,
      },
    },
  );
  return {
    type: 'modal',
    callback_id: input.breakGlass ? BREAK_GLASS_CALLBACK : GRANT_REQUEST_CALLBACK,
    private_metadata: input.privateMetadata,
    title: plain(title, MODAL_TITLE_MAX),
    submit: plain(input.breakGlass ? 'Grant now' : 'Request', MODAL_TITLE_MAX),
    close: plain('Cancel', MODAL_TITLE_MAX),
    blocks,
  };
}

/**
 * The modal from config and the caller's resolved accounts alone: it must open within the trigger_id's 3 s,
 * so nothing here may wait on IAM. Break-glass offers only what break-glass templates allow.
 */
export function grantModalFor(
  config: Pick<FileConfig, 'templates' | 'grants' | 'break_glass'>,
  accounts: readonly GrantAccount[],
  breakGlass: boolean,
): ModalView {
  const templates = Object.values(config.templates).filter((t) => !breakGlass || t.break_glass);
  const seen = new Set<string>();
  const access = templates
    .flatMap((t) => grantableFor(t))
    .filter((a) => {
      const k = accessValue(a.kind, a.target);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  const maxMinutes = breakGlass
    ? config.break_glass.max_duration_minutes
    : config.grants.max_duration_hours * 60;
  return grantRequestModal({ breakGlass, accounts, access, maxMinutes, privateMetadata: '' });
}
