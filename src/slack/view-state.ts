import { cleanText } from '../core/index.js';

/**
 * Reads Slack's view.state.values, where each input's action_id equals its block id. Every value comes out
 * clean of control characters and bidi overrides (core/text.ts): this is where typed text enters the bot,
 * so nothing stored or shown downstream carries them.
 */
type StateValue = {
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_user?: string | null;
};
export type ViewState = Record<string, Record<string, StateValue>>;

/** A single-line input: tabs and line breaks become spaces. */
export function textValue(state: ViewState, blockId: string, actionId = blockId): string {
  return cleanText(state[blockId]?.[actionId]?.value ?? '').trim();
}

/** A multi-line input (justification, reason): line breaks and tabs stay. */
export function multilineValue(state: ViewState, blockId: string, actionId = blockId): string {
  return cleanText(state[blockId]?.[actionId]?.value ?? '', { multiline: true }).trim();
}

export function selectValue(state: ViewState, blockId: string, actionId = blockId): string | undefined {
  const v = state[blockId]?.[actionId]?.selected_option?.value;
  return v == null ? undefined : cleanText(v);
}

export function userValue(state: ViewState, blockId: string, actionId: string): string | undefined {
  const v = state[blockId]?.[actionId]?.selected_user;
  return v == null ? undefined : cleanText(v);
}
