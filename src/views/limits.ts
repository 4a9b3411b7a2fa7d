/**
 * Slack's Block Kit limits. One field over any of them and Slack rejects the whole payload (`invalid_blocks`),
 * so every builder clips or caps against these, and test/views/limits.test.ts checks them over generated input.
 */
export const MESSAGE_MAX_BLOCKS = 50;
/** Modals and the Home tab. */
export const VIEW_MAX_BLOCKS = 100;
/** A section's or a context element's text. */
export const TEXT_MAX = 3000;
/** Each of a section's fields. */
export const FIELD_TEXT_MAX = 2000;
export const HEADER_TEXT_MAX = 150;
export const OPTION_TEXT_MAX = 75;
export const OPTION_VALUE_MAX = 150;
export const SELECT_MAX_OPTIONS = 100;
export const BUTTON_TEXT_MAX = 75;
/** A button's value: the bot only ever puts an id there. */
export const BUTTON_VALUE_MAX = 2000;
/** A modal's title, submit and close texts. */
export const MODAL_TITLE_MAX = 24;
export const BLOCK_ID_MAX = 255;
export const ACTION_ID_MAX = 255;
/** An input's placeholder. */
export const PLACEHOLDER_TEXT_MAX = 150;
/** An image block's or an uploaded file's alt_text. */
export const ALT_TEXT_MAX = 2000;

/**
 * Where builders clip a text: short of the limit, so that the few characters a caller puts around a clipped
 * piece (a label, a mention, a date) cannot take it over.
 */
export const TEXT_CLIP = TEXT_MAX - 100;
export const FIELD_CLIP = FIELD_TEXT_MAX - 100;

/** Truncate visibly rather than have Slack reject the message. */
export function clip(s: string, max = TEXT_CLIP): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
