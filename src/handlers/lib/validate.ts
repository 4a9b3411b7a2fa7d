/** Fast shape checks for inline errors before the ack; core/ re-checks everything against IAM. */
export { USERNAME_RE } from '../../core/templates.js';
export const EMAIL_RE = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
export const GROUP_RE = /^[\w+=,.@-]{1,128}$/;
/** `<@U123|name>` or `<@U123>`, as Slack escapes a mention in command text (should_escape: true). */
export const MENTION_RE = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
