/**
 * Every tag the tool reads or writes, on users and MFA devices. Expiries and schedules live in AWS itself
 * (so a lost store never leaves access behind), and these names are how the bot, the CLI and a human
 * looking at IAM find them.
 */
export const TAG = {
  /** The template a user was created from. */
  template: 'aws-user:template',
  offboardedAt: 'aws-user:offboarded-at',
  deleteAfter: 'aws-user:delete-after',
  /** `aws-user:rotate:<oldKeyId>` = `<deactivateAt>/<deleteAt>`. */
  rotatePrefix: 'aws-user:rotate:',
  /**
   * `aws-user:grant:<grantId>` = `<expiresAt> group:<Name>` or `<expiresAt> policy:<arn>`: what was granted
   * and until when, so the reconcile job can revoke it from IAM alone. Tags written before the grant's
   * target was recorded hold only `<expiresAt>`.
   */
  grantPrefix: 'aws-user:grant:',
  /**
   * On a temporary user (the create modal's duration): `<endsAt>`, then optional ` request:<id>` and
   * ` requester:<SlackUserId>`, so the reconcile job can end it from IAM alone.
   */
  temporaryUntil: 'aws-user:temporary-until',
  /** On a virtual MFA device: when enrollment created it, so the clean-up sweep knows what it may delete. */
  mfaCreatedAt: 'aws-user:created-at',
} as const;

/** The profile a create request writes on the user, read back by lookups and the scan. */
export const PROFILE_TAG = {
  email: 'Email',
  department: 'Department',
  manager: 'Manager',
  costCenter: 'CostCenter',
  slackUserId: 'SlackUserId',
} as const;

/** IAM tag values: letters, digits, spaces and _ . : / = + - @, at most 256. */
export const TAG_VALUE_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
export const TAG_VALUE_RULE = 'IAM tag values allow at most 256 letters, digits, spaces and _ . : / = + - @';

export function isTagValue(value: string): boolean {
  return TAG_VALUE_RE.test(value);
}

export function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function tagValue(
  resource: { Tags?: { Key?: string | undefined; Value?: string | undefined }[] | undefined },
  key: string,
): string | undefined {
  return resource.Tags?.find((t) => t.Key === key)?.Value;
}

/** What an `aws-user:grant:<id>` tag says: `target` and `kind` are absent in tags of the first format. */
export interface GrantTag {
  expiresAt: string;
  kind?: 'group' | 'policy';
  target?: string;
}

export function grantTagValue(expiresAt: string, kind: 'group' | 'policy', target: string): string {
  return `${expiresAt} ${kind}:${target}`;
}

export const GRANT_TAG_RULE = `the aws-user:grant tag holds "<expiry> <kind>:<target>"; ${TAG_VALUE_RULE}`;

/** Why this grant cannot be written into its tag, or undefined when it can. */
export function grantTagProblem(
  expiresAt: string,
  kind: 'group' | 'policy',
  target: string,
): string | undefined {
  const value = grantTagValue(expiresAt, kind, target);
  if (value.length > 256)
    return `${kind} "${target.slice(0, 80)}" is too long for the aws-user:grant tag (${value.length} > 256 characters with its expiry)`;
  if (!isTagValue(value))
    return `${kind} "${target.slice(0, 80)}" has characters an IAM tag value cannot hold`;
  return undefined;
}

/** Undefined when the value is not a grant tag at all (no parseable expiry). */
export function parseGrantTag(value: string): GrantTag | undefined {
  const space = value.indexOf(' ');
  const expiresAt = space < 0 ? value : value.slice(0, space);
  if (Number.isNaN(Date.parse(expiresAt))) return undefined;
  if (space < 0) return { expiresAt };
  const rest = value.slice(space + 1);
  for (const kind of ['group', 'policy'] as const) {
    if (rest.startsWith(`${kind}:`) && rest.length > kind.length + 1)
      return { expiresAt, kind, target: rest.slice(kind.length + 1) };
  }
  return { expiresAt };
}

export interface TemporaryTag {
  endsAt: string;
  requestId?: string;
  requester?: string;
}

/** The `aws-user:temporary-until` value; optional parts that cannot be a tag value are left out. */
export function temporaryTagValue(t: TemporaryTag): string {
  let value = t.endsAt;
  for (const [k, v] of [
    ['request', t.requestId],
    ['requester', t.requester],
  ] as const) {
    const part = v ? ` ${k}:${v}` : '';
    if (part && !part.slice(1).includes(' ') && isTagValue(value + part)) value += part;
  }
  return value;
}

export function parseTemporaryTag(value: string): TemporaryTag | undefined {
  const [endsAt = '', ...parts] = value.split(' ');
  if (Number.isNaN(Date.parse(endsAt))) return undefined;
  const out: TemporaryTag = { endsAt };
  for (const p of parts) {
    if (p.startsWith('request:')) out.requestId = p.slice('request:'.length);
    else if (p.startsWith('requester:')) out.requester = p.slice('requester:'.length);
  }
  return out;
}
