import type { ExternalSelect, PlainTextOption, StaticSelect } from '@slack/types';
import { clip, OPTION_TEXT_MAX, PLACEHOLDER_TEXT_MAX, SELECT_MAX_OPTIONS } from './limits.js';

/**
 * Selects that offer every choice the config has. Slack allows 100 options in a static select, so past that the
 * select becomes an external_select: Slack asks the app's options listener (src/handlers/options/) for the
 * choices matching what the user typed, and the listener answers from the same option list built here.
 */

export function option(text: string, value: string): PlainTextOption {
  return { text: { type: 'plain_text', text: clip(text, OPTION_TEXT_MAX), emoji: true }, value };
}

/** `<name> (<account id>)`, the name cut so that the id, the part that tells accounts apart, always shows. */
export function accountOption(a: { id: string; name: string }): PlainTextOption {
  const id = ` (${a.id})`;
  return option(`${clip(a.name, OPTION_TEXT_MAX - id.length)}${id}`, a.id);
}

/** A static select when every option fits, else an external select that filters as the user types. */
export function selectElement(
  actionId: string,
  options: readonly PlainTextOption[],
  initial?: PlainTextOption,
): StaticSelect | ExternalSelect {
  if (options.length <= SELECT_MAX_OPTIONS) {
    return {
      type: 'static_select',
      action_id: actionId,
      options: [...options],
      ...(initial ? { initial_option: initial } : {}),
    };
  }
  return {
    type: 'external_select',
    action_id: actionId,
    // 0: the first 100 show on open, typing narrows them down.
    min_query_length: 0,
    placeholder: {
      type: 'plain_text',
      text: clip(`Type to search ${options.length} choices`, PLACEHOLDER_TEXT_MAX),
      emoji: true,
    },
    ...(initial ? { initial_option: initial } : {}),
  };
}

/**
 * The answer to an external select's options request: the options whose text or value contains the query
 * (case-insensitive), at most 100. Only ever a subset of `options`, whatever the query.
 */
export function filterOptions(options: readonly PlainTextOption[], query: string): PlainTextOption[] {
  const q = query.trim().toLowerCase();
  return options
    .filter((o) => !q || o.text.text.toLowerCase().includes(q) || (o.value ?? '').toLowerCase().includes(q))
    .slice(0, SELECT_MAX_OPTIONS);
}
