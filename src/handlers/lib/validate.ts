/**
 * The DESIGN's IAM user-name rule, used for fast inline errors before the ack; core's validateCreate
 * re-checks it against IAM (TODO once feat/core lands: import USERNAME_RE from core/templates.ts).
 */
export const USERNAME_RE = /^[\w+=,.@-]{1,64}$/;
export const EMAIL_RE = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
export const GROUP_RE = /^[\w+=,.@-]{1,128}$/;
/** `<@U123|name>` or `<@U123>`, as Slack escapes a mention in command text (should_escape: true). */
export const MENTION_RE = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
