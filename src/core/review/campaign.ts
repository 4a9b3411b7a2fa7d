import { randomUUID } from 'node:crypto';
import type { AccountConfig } from '../../config.js';
import { ValidationError } from '../../errors.js';
import { audited } from '../audit.js';
import { DAY_MS, parseWhen } from '../clock.js';
import type { Actor, CoreContext } from '../context.js';
import { scan } from '../detect/scan.js';
import { cleanText } from '../text.js';
import { readIcScope } from './identity-center.js';
import { buildSnapshot } from './snapshot.js';
import type { EntitlementKind, ReviewCampaign, ReviewItem, ReviewStore } from './types.js';

/**
 * Starting an access-review campaign: every option is checked before anything is read or written, then
 * the accounts are scanned (credential report + GetAccountAuthorizationDetails, with per-user snapshots),
 * Identity Center assignments are read when configured, and the frozen snapshot is written through the
 * store in one createCampaign. The campaign is `created`: reviewers are resolved and told at launch.
 */

export const NAME_MAX = 80;
export const DUE_MIN_DAYS = 1;
export const DUE_MAX_DAYS = 365;

export interface StartCampaignOptions {
  name?: string | undefined;
  /** Account ids or names; default: every managed account. */
  accounts?: readonly string[] | undefined;
  /** Either a deadline or days from now; default: review.due_days (14). */
  dueAt?: Date | undefined;
  dueDays?: number | undefined;
  /** Overrides of config.inactivity's thresholds for the evidence. */
  thresholds?: Partial<ReviewCampaign['thresholds']> | undefined;
  /** `cli:<user>`, a Slack user id, or `job:access-review`. */
  createdBy: string;
  /** For the audit trail; default: createdBy, with the campaign id as request id. */
  who?: Actor | undefined;
}

export interface CampaignSummary {
  /** Distinct people: an IAM user per account, an Identity Center user once. */
  people: number;
  items: number;
  byKind: Record<EntitlementKind, number>;
  /** Items whose evidence is unused beyond the thresholds (keeping them needs a comment). */
  unused: number;
  accounts: { ok: number; failed: number; withProblems: number };
}

export interface StartedCampaign {
  campaign: ReviewCampaign;
  summary: CampaignSummary;
}

const DUE_FIX = 'give days from now (14d, 2w) or a date (2027-01-15)';

/** `14d`/`2w` → now + that; `2027-01-15` → the end of that UTC day; an ISO date-time as given. */
export function parseDue(value: string, now: Date): Date {
  const v = value.trim();
  const rel = /^(\d{1,4})([dw])$/.exec(v);
  if (rel) return new Date(now.getTime() + Number(rel[1]) * (rel[2] === 'w' ? 7 : 1) * DAY_MS);
  if (/^\d+[a-z]+$/i.test(v)) throw new ValidationError('--due', `"${value}" is not a duration`, DUE_FIX);
  let at: Date;
  try {
    at = parseWhen('--due', v, now);
  } catch (err) {
    throw new ValidationError('--due', `"${value}" is neither a date nor a number of days`, DUE_FIX, {
      cause: err,
    });
  }
  // A bare date is a deadline day: reviewers have all of it.
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(at.getTime() + DAY_MS - 1000) : at;
}

/** "Access review 2027-Q1": the quarter the campaign starts in (UTC). */
export function defaultCampaignName(now: Date): string {
  return `Access review ${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
}

function checkName(raw: string | undefined, now: Date): string {
  if (raw === undefined) return defaultCampaignName(now);
  const name = cleanText(raw).trim();
  if (name.length === 0 || name.length > NAME_MAX)
    throw new ValidationError(
      '--name',
      name.length === 0 ? 'is empty' : `is ${name.length} characters long`,
      `give 1 to ${NAME_MAX} characters, or leave it out for "${defaultCampaignName(now)}"`,
    );
  return name;
}

function checkDue(ctx: Pick<CoreContext, 'config'>, opts: StartCampaignOptions, now: Date): Date {
  if (opts.dueAt && opts.dueDays !== undefined)
    throw new ValidationError('--due', 'both a date and a number of days were given', 'give one of them');
  const fix = `give ${DUE_MIN_DAYS} to ${DUE_MAX_DAYS} days from now (14d) or a date in that range`;
  if (opts.dueAt) {
    const ms = opts.dueAt.getTime() - now.getTime();
    if (Number.isNaN(ms) || ms < DUE_MIN_DAYS * DAY_MS || ms > DUE_MAX_DAYS * DAY_MS)
      throw new ValidationError(
        '--due',
        Number.isNaN(ms)
          ? 'is not a valid date'
          : `${opts.dueAt.toISOString()} is ${ms < 0 ? 'in the past' : `${(ms / DAY_MS).toFixed(1)} days away`}`,
        fix,
      );
    return opts.dueAt;
  }
  const days = opts.dueDays ?? ctx.config.review?.due_days ?? 14;
  if (!Number.isInteger(days) || days < DUE_MIN_DAYS || days > DUE_MAX_DAYS)
    throw new ValidationError('--due', `${days} days is out of range`, fix);
  return new Date(now.getTime() + days * DAY_MS);
}

function checkThresholds(ctx: Pick<CoreContext, 'config'>, over: StartCampaignOptions['thresholds']) {
  const t = {
    console_days: over?.console_days ?? ctx.config.inactivity.console_days,
    access_key_days: over?.access_key_days ?? ctx.config.inactivity.access_key_days,
  };
  for (const [k, v] of Object.entries(t))
    if (!Number.isInteger(v) || v < 1 || v > 3650)
      throw new ValidationError(`thresholds.${k}`, `${v} is not a number of days`, 'give 1 to 3650');
  return t;
}

function checkAccounts(
  ctx: Pick<CoreContext, 'clients'>,
  wanted: readonly string[] | undefined,
): AccountConfig[] {
  try {
    return ctx.clients.select(wanted);
  } catch (err) {
    if (err instanceof ValidationError)
      throw new ValidationError('--accounts', err.message.replace(/^account: /, ''), undefined, {
        cause: err,
      });
    throw err;
  }
}

/** One key per person: an IAM user per account, an Identity Center user once across accounts. */
export function personOf(i: ReviewItem): string {
  const p = i.principal;
  return p.kind === 'identity-center-user'
    ? `ic\u0000${p.id ?? p.name}`
    : `iam\u0000${i.account}\u0000${p.name}`;
}

export function summarizeCampaign(campaign: ReviewCampaign, items: readonly ReviewItem[]): CampaignSummary {
  const byKind: Record<EntitlementKind, number> = {
    console: 0,
    'access-key': 0,
    group: 0,
    'managed-policy': 0,
    'inline-policy': 0,
    'permission-set': 0,
  };
  const people = new Set<string>();
  let unused = 0;
  for (const i of items) {
    byKind[i.entitlement.kind]++;
    if (i.evidence.unused) unused++;
    people.add(personOf(i));
  }
  return {
    people: people.size,
    items: items.length,
    byKind,
    unused,
    accounts: {
      ok: campaign.accounts.filter((a) => a.ok).length,
      failed: campaign.accounts.filter((a) => !a.ok).length,
      withProblems: campaign.accounts.filter((a) => a.ok && a.error).length,
    },
  };
}

/**
 * Every option of a start, checked against the config: throws a ValidationError naming the field and the
 * fix. startCampaign calls it first; the CLI calls it before it opens the store.
 */
export function checkStartOptions(
  ctx: Pick<CoreContext, 'clock' | 'config' | 'clients'>,
  opts: StartCampaignOptions,
) {
  const now = ctx.clock.now();
  const name = checkName(opts.name, now);
  const dueAt = checkDue(ctx, opts, now);
  const thresholds = checkThresholds(ctx, opts.thresholds);
  const accounts = checkAccounts(ctx, opts.accounts);
  if (!opts.createdBy.trim())
    throw new ValidationError(
      'createdBy',
      'is empty',
      'name who starts the campaign (cli:<user>, a Slack id)',
    );
  return { now, name, dueAt, thresholds, accounts };
}

export async function startCampaign(
  ctx: CoreContext,
  store: ReviewStore,
  opts: StartCampaignOptions,
): Promise<StartedCampaign> {
  const { now, name, dueAt, thresholds, accounts } = checkStartOptions(ctx, opts);
  const id = `rv-${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  const who = opts.who ?? { actor: opts.createdBy, requestId: id };
  return audited(ctx, who, { action: 'review.start', account: 'review', target: id }, async () => {
    const ids = accounts.map((a) => a.id);
    const [result, ic] = await Promise.all([
      scan(ctx, { accounts: ids, includeUsers: true, settings: thresholds }),
      ctx.config.identity_center ? readIcScope(ctx, ids) : undefined,
    ]);
    const snap = buildSnapshot(id, result, ic);
    const campaign: ReviewCampaign = {
      id,
      name,
      status: 'created',
      createdAt: now.toISOString(),
      createdBy: opts.createdBy,
      dueAt: dueAt.toISOString(),
      accounts: snap.accounts,
      thresholds,
      itemCount: snap.items.length,
    };
    await store.createCampaign(campaign, snap.items);
    const summary = summarizeCampaign(campaign, snap.items);
    return {
      result: { campaign, summary },
      details: {
        name,
        dueAt: campaign.dueAt,
        thresholds,
        accounts: snap.accounts.map((a) => ({ id: a.id, ok: a.ok, ...(a.error ? { error: a.error } : {}) })),
        identityCenter: ic ? { assignments: ic.assignments.length, errors: ic.errors.length } : null,
        summary,
      },
    };
  });
}
