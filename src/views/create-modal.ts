import type { InputBlock, KnownBlock, ModalView, PlainTextElement, PlainTextOption } from '@slack/types';
import type { FileConfig } from '../config.js';
import { clip, MODAL_TITLE_MAX, OPTION_TEXT_MAX, OPTION_VALUE_MAX, PLACEHOLDER_TEXT_MAX } from './limits.js';
import { accountOption, option, selectElement } from './select.js';

export const CREATE_CALLBACK = 'create_user_modal';
export const USER_PICKED_ACTION = 'create_user_picked';

/** Block ids double as the keys of inline errors (`response_action: errors`). */
export const CREATE_BLOCKS = {
  owner: 'owner',
  username: 'username',
  email: 'email',
  template: 'template',
  account: 'account',
  groups: 'extra_groups',
  justification: 'justification',
  duration: 'duration',
  department: 'department',
  manager: 'manager',
} as const;

/** Each input's action_id equals its block id, so reading state is `values[id][id]`. */
export type CreateMode = 'create' | 'onboard';

export interface CreatePrefill {
  slackUserId?: string;
  username?: string;
  email?: string;
}

export interface AccountChoice {
  /** Always a 12-digit account id: the submission carries it as is. */
  id: string;
  name: string;
}

/** Non-secret context carried through the modal: which command opened it and where to answer. */
export interface CreateModalMeta {
  mode: CreateMode;
  channel?: string;
}

export const DURATIONS: readonly { hours: number; label: string }[] = [
  { hours: 8, label: '8 hours' },
  { hours: 24, label: '1 day' },
  { hours: 168, label: '1 week' },
  { hours: 720, label: '30 days' },
];

const plain = (text: string, max = PLACEHOLDER_TEXT_MAX): PlainTextElement => ({
  type: 'plain_text',
  text: clip(text, max),
  emoji: true,
});

/**
 * Every template as an option, its value the template's name (what the submission carries back, checked
 * against the config). The name is cut before the approvals note, so the note always shows.
 */
export function templateOptions(config: Pick<FileConfig, 'templates'>): PlainTextOption[] {
  // A name Slack would cut as a value could not be submitted back.
  return Object.entries(config.templates)
    .filter(([name]) => name.length <= OPTION_VALUE_MAX)
    .map(([name, t]) => {
      const note = t.approvals_required > 1 ? ` (${t.approvals_required} approvals)` : '';
      return option(`${clip(name, OPTION_TEXT_MAX - note.length)}${note}`, name);
    });
}

/** Every account the caller may pick, by id. */
export function accountOptions(accounts: readonly AccountChoice[]): PlainTextOption[] {
  return accounts.map(accountOption);
}

function textInput(
  id: string,
  label: string,
  opts: {
    initial?: string;
    optional?: boolean;
    multiline?: boolean;
    hint?: string;
    placeholder?: string;
  } = {},
): InputBlock {
  return {
    type: 'input',
    block_id: id,
    optional: opts.optional ?? false,
    label: plain(label),
    ...(opts.hint ? { hint: plain(opts.hint) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: id,
      multiline: opts.multiline ?? false,
      ...(opts.initial ? { initial_value: opts.initial } : {}),
      ...(opts.placeholder ? { placeholder: plain(opts.placeholder) } : {}),
    },
  };
}

/**
 * The create / onboard request modal. Pure: config, the accounts the caller resolved and prefill in, view JSON
 * out. The account preselected is the home account when it is one of them, else the first.
 */
export function createModal(
  config: Pick<FileConfig, 'templates' | 'home_account'>,
  accounts: readonly AccountChoice[],
  meta: CreateModalMeta,
  prefill: CreatePrefill = {},
): ModalView {
  const templates = templateOptions(config);
  // Extra IAM groups and a duration mean nothing to an Identity Center template (config refuses them there):
  // not offered when every template is one, marked IAM-only when some are.
  const kinds = Object.values(config.templates).map((t) => (t.identity_center ? 'ic' : 'iam'));
  const anyIc = kinds.includes('ic');
  const anyIam = kinds.includes('iam') || kinds.length === 0;
  const iamOnly = anyIc ? ' (IAM templates only)' : '';
  const blocks: KnownBlock[] = [
    {
      type: 'input',
      block_id: CREATE_BLOCKS.owner,
      dispatch_action: true,
      label: plain(anyIam && !anyIc ? 'Who is this IAM user for?' : 'Who is this user for?'),
      hint: plain('Their name and email are filled in from Slack; secrets go to them by DM.'),
      element: {
        type: 'users_select',
        action_id: USER_PICKED_ACTION,
        ...(prefill.slackUserId ? { initial_user: prefill.slackUserId } : {}),
      },
    },
    textInput(CREATE_BLOCKS.username, anyIc ? 'User name' : 'IAM user name', {
      initial: prefill.username,
      hint: anyIc
        ? 'IAM: letters, digits and + = , . @ _ - (at most 64). Identity Center: no spaces (at most 128).'
        : 'Letters, digits and + = , . @ _ - (at most 64).',
    }),
    textInput(CREATE_BLOCKS.email, 'Email', { initial: prefill.email }),
    templates.length > 0
      ? {
          type: 'input',
          block_id: CREATE_BLOCKS.template,
          label: plain('Template'),
          element: selectElement(CREATE_BLOCKS.template, templates),
        }
      : {
          // An empty select is invalid Block Kit; the submission then fails inline on the missing template.
          type: 'section',
          block_id: CREATE_BLOCKS.template,
          text: { type: 'mrkdwn', text: 'No template is configured: an admin adds them under `templates`.' },
        },
  ];
  // An empty static_select is invalid Block Kit, so no accounts means no select.
  if (accounts.length > 0) {
    const options = accountOptions(accounts);
    const initial = options.find((o) => o.value === config.home_account) ?? options[0];
    blocks.push({
      type: 'input',
      block_id: CREATE_BLOCKS.account,
      label: plain('Account'),
      element: selectElement(CREATE_BLOCKS.account, options, initial),
    });
  }
  if (meta.mode === 'onboard') {
    blocks.push(textInput(CREATE_BLOCKS.department, 'Department', { optional: true }));
    blocks.push(textInput(CREATE_BLOCKS.manager, 'Manager (email)', { optional: true }));
  }
  if (anyIam)
    blocks.push(
      textInput(CREATE_BLOCKS.groups, `Extra IAM groups${iamOnly}`, {
        optional: true,
        hint: 'Comma-separated, on top of the template.',
      }),
    );
  blocks.push(
    textInput(CREATE_BLOCKS.justification, 'Justification', {
      multiline: true,
      placeholder: 'Why does this person need this access?',
    }),
  );
  if (anyIam)
    blocks.push({
      type: 'input',
      block_id: CREATE_BLOCKS.duration,
      optional: true,
      label: plain(`Duration (empty: permanent)${iamOnly}`),
      element: {
        type: 'static_select',
        action_id: CREATE_BLOCKS.duration,
        options: DURATIONS.map((d) => option(d.label, String(d.hours))),
      },
    });
  return {
    type: 'modal',
    callback_id: CREATE_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: plain(
      meta.mode === 'onboard' ? 'Onboard to AWS' : anyIc ? 'Request an AWS user' : 'Request an IAM user',
      MODAL_TITLE_MAX,
    ),
    submit: plain('Request', MODAL_TITLE_MAX),
    close: plain('Cancel', MODAL_TITLE_MAX),
    blocks,
  };
}

/** The username a picked Slack user most likely wants: their email's local part, made IAM-safe. */
export function suggestUsername(email: string | undefined): string | undefined {
  const local = email
    ?.split('@')[0]
    ?.toLowerCase()
    .replace(/[^\w+=,.@-]/g, '');
  return local ? local.slice(0, 64) : undefined;
}
