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
  /** `aws-user:grant:<grantId>` = the grant's expiry. */
  grantPrefix: 'aws-user:grant:',
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

export function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function tagValue(
  resource: { Tags?: { Key?: string | undefined; Value?: string | undefined }[] | undefined },
  key: string,
): string | undefined {
  return resource.Tags?.find((t) => t.Key === key)?.Value;
}
