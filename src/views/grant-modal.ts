import { createHash } from 'node:crypto';
import type { KnownBlock, ModalView, PlainTextElement, PlainTextOption } from '@slack/types';
import type { FileConfig } from '../config.js';
import { type GrantKind, grantableFor } from '../core/index.js';
import { clip, MODAL_TITLE_MAX, OPTION_TEXT_MAX, OPTION_VALUE_MAX } from './limits.js';
import { accountOption, option, selectElement } from './select.js';

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

export interface Access {
  kind: GrantKind;
  target: string;
}

/**
 * The option value the modal submits: a short id, never the raw ARN (a customer-managed policy's ARN can pass
 * Slack's 150 characters for a value). A group keeps its readable `group:<name>` when that fits; anything else
 * is `<kind>#<hash>`. The submission maps it back through the config with accessFromValue.
 */
export function accessValue(kind: GrantKind, target: string): string {
  const readable = `${kind}:${target}`;
  if (kind !== 'policy' && readable.length <= OPTION_VALUE_MAX) return readable;
  return `${kind}#${createHash('sha256').update(readable).digest('hex').slice(0, 20)}`;
}

/** What the grant modals read of the config; permission sets are optional so IAM-only callers need not name them. */
export type GrantableConfig = Pick<FileConfig, 'templates'> & Partial<Pick<FileConfig, 'permission_sets'>>;

/**
 * Every template's grantable access, once each, then every configured permission set (its accounts are checked
 * at submit); break-glass offers only what break-glass templates and sets allow.
 */
export function grantableAccess(config: GrantableConfig, breakGlass: boolean): Access[] {
  const seen = new Set<string>();
  const sets = Object.entries(config.permission_sets ?? {})
    .filter(([, ps]) => !breakGlass || ps.break_glass)
    .map(([name]) => ({ kind: 'permission-set' as const, target: name }));
  return Object.values(config.templates)
    .filter((t) => !breakGlass || t.break_glass)
    .flatMap((t): Access[] => grantableFor(t))
    .concat(sets)
    .filter((a) => {
      const k = accessValue(a.kind, a.target);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

/**
 * The access a submitted value stands for, looked up in the config; undefined for a value the config does not
 * offer (crafted, or from a form opened before the config changed). The template's allow-list is checked after.
 */
export function accessFromValue(config: GrantableConfig, value: string): Access | undefined {
  return grantableAccess(config, false).find((a) => accessValue(a.kind, a.target) === value);
}

export function accessOptions(access: readonly Access[]): PlainTextOption[] {
  return access.map((a) => option(accessLabel(a.kind, a.target), accessValue(a.kind, a.target)));
}

export function accessLabel(kind: GrantKind, target: string): string {
  if (kind === 'permission-set') return `permission set ${target}`;
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
  access: readonly Access[];
  maxMinutes: number;
  privateMetadata: string;
}

export function grantRequestModal(input: GrantModalInput): ModalView {
  const title = input.breakGlass ? 'Break-glass access' : 'Request access';
  const access = accessOptions(input.access);
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
            text: `Nothing to ${input.breakGlass ? 'break glass into' : 'request'}: no account, or no template allows time-bound access. An admin can add groups or policies under \`templates.<name>.grantable\`, or Identity Center permission sets under \`permission_sets\`.`,
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
      element: selectElement(
        GRANT_BLOCKS.account,
        input.accounts.map(accountOption),
        input.accounts.length === 1 && input.accounts[0] ? accountOption(input.accounts[0]) : undefined,
      ),
    },
    {
      type: 'input',
      block_id: GRANT_BLOCKS.access,
      label: plain(
        input.access.some((a) => a.kind === 'permission-set')
          ? 'Group, policy or permission set'
          : 'Group or policy',
      ),
      element: selectElement(GRANT_BLOCKS.access, access),
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
  config: GrantableConfig & Pick<FileConfig, 'grants' | 'break_glass'>,
  accounts: readonly GrantAccount[],
  breakGlass: boolean,
): ModalView {
  const access = grantableAccess(config, breakGlass);
  // A permission set has its own cap (max_duration_hours), checked at submit: offer up to the longest.
  const setCaps = access.flatMap((a) =>
    a.kind === 'permission-set' ? [(config.permission_sets?.[a.target]?.max_duration_hours ?? 0) * 60] : [],
  );
  const maxMinutes = breakGlass
    ? config.break_glass.max_duration_minutes
    : Math.max(config.grants.max_duration_hours * 60, ...setCaps.map(Math.floor));
  return grantRequestModal({ breakGlass, accounts, access, maxMinutes, privateMetadata: '' });
}
