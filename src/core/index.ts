import type { AccountConfig } from '../config.js';
import type { AuditInput } from './audit.js';
import { callerIdentity } from './aws/accounts.js';
import type { AccountSource } from './aws/organization.js';
import type { Actor, CoreContext } from './context.js';
import { generateReport, type ReportType } from './detect/reports.js';
import { type ScanOptions, scan } from './detect/scan.js';
import {
  applyGrant,
  findIdentityCenterUser,
  type Grant,
  type GrantSpec,
  holdsAssignment,
  revokeGrant,
} from './grants.js';
import { identityCenter } from './identity-center/directory.js';
import {
  createIdentityUser,
  describeIdentityUser,
  type IdentityUserInput,
  identityRemoveAfterDays,
  type OffboardIdentityInput,
  offboardIdentityUser,
  sweepIdentityCenter,
  validateIdentityUser,
} from './identity-center/people.js';
import { type IcReconcileOptions, removeUnexplainedAssignments } from './identity-center/reconcile.js';
import * as keys from './keys.js';
import * as mfa from './mfa.js';
import { resetLoginPassword } from './password.js';
import {
  deleteTaggedUser,
  endTaggedTemporaryUser,
  findOverdue,
  revokeTaggedGrant,
  type TaggedDeletion,
  type TaggedGrant,
  type TaggedTemporaryUser,
} from './reconcile.js';
import { deactivateKeys, disableConsole } from './remediation.js';
import { type StartCampaignOptions, startCampaign } from './review/campaign.js';
import { reviewReport } from './review/report.js';
import { type RevokeInput, revokeEntitlement } from './review/revoke.js';
import type { ReviewCampaign, ReviewItem, ReviewStore } from './review/types.js';
import { createUser, validateCreate } from './users/create.js';
import { describeUser } from './users/describe.js';
import { usersOwnedBy } from './users/directory.js';
import type { CreateUserInput } from './users/input.js';
import { offboardUser, sweepOffboarded } from './users/offboard.js';

/**
 * The one door into core/ for the bot: every listener, flow and job reaches AWS through the object this
 * returns (its type is CoreOps), never through a core file. Each member is one hop to core, bound to one
 * context. Past this line an account is always a real 12-digit id: names and the home default are
 * resolved by `accounts.resolve` at the boundary (a modal value, a command argument).
 */
export function bindCore(ctx: CoreContext) {
  return {
    accounts: {
      /** The account of the bot's own credentials. */
      home: (): AccountConfig => ctx.clients.home,
      /** Every account the bot manages: the configured and discovered ones, else the home account alone. */
      list: (): readonly AccountConfig[] => ctx.clients.managed(),
      /** An id or name of a managed account → the account; a ValidationError (field `account`) otherwise. */
      resolve: (idOrName: string): AccountConfig => ctx.clients.resolve(idOrName),
      /** Where the account comes from: a static `accounts` entry, or Organizations discovery. */
      source: (accountId: string): AccountSource => ctx.clients.sourceOf(accountId),
    },
    /** sts:GetCallerIdentity of the bot's own credentials, for /healthz. */
    identity: () => callerIdentity(ctx.clients.sts()),
    audit: (event: AuditInput) => ctx.auditor.record(event),

    validateCreate: (input: CreateUserInput & { account: string }, who?: Actor) =>
      validateCreate(ctx, input, who),
    createUser: (input: CreateUserInput & { account: string }, who: Actor) => createUser(ctx, input, who),
    describeUser: (account: string, username: string, who?: Actor) =>
      describeUser(ctx, account, username, who),
    offboardUser: (input: { account: string; username: string; removeAfterDays?: number }, who: Actor) =>
      offboardUser(ctx, input, who),
    sweepOffboarded: (who: Actor) => sweepOffboarded(ctx, {}, who),
    usersOwnedBy: (slackUserId: string) => usersOwnedBy(ctx, slackUserId),

    rotateAccessKey: (input: { account: string; username: string }, who: Actor) =>
      keys.rotateAccessKey(ctx, input, who),
    sweepKeyRotations: (who: Actor) => keys.sweepKeyRotations(ctx, {}, who),
    /** Deletes a new key whose secret was never delivered, and drops the old keys' rotation schedule. */
    discardAccessKey: (
      input: { account: string; username: string; accessKeyId: string; oldKeyIds: readonly string[] },
      who: Actor,
    ) => keys.discardAccessKey(ctx, input, who),
    /** A fresh console password (PasswordResetRequired), returned once: the old one stops working. */
    resetPassword: (input: { account: string; username: string }, who: Actor) =>
      resetLoginPassword(ctx, input, who),

    startMfaEnrollment: (input: { account: string; username: string }, who: Actor) =>
      mfa.startMfaEnrollment(ctx, input, who),
    completeMfaEnrollment: (
      input: { account: string; username: string; serialNumber: string; code1: string; code2: string },
      who: Actor,
    ) => mfa.completeMfaEnrollment(ctx, input, who),
    abandonMfaEnrollment: (input: { account: string; serialNumber: string }, who: Actor) =>
      mfa.abandonMfaEnrollment(ctx, input, who),
    /** Unassigned virtual MFA devices this bot created more than `olderThanMinutes` ago, in every account. */
    sweepAbandonedMfa: (olderThanMinutes: number, who: Actor) =>
      mfa.sweepAbandonedMfa(ctx, { olderThanMinutes }, who),

    disableConsole: (input: { account: string; username: string }, who: Actor) =>
      disableConsole(ctx, input, who),
    deactivateKeys: (input: { account: string; username: string; createdAt?: string }, who: Actor) =>
      deactivateKeys(ctx, input, who),

    applyGrant: (grant: Grant, who: Actor) => applyGrant(ctx, grant, who),
    revokeGrant: (spec: GrantSpec, who: Actor, reason: string, details?: Record<string, unknown>) =>
      revokeGrant(ctx, spec, who, reason, details),
    /** The Identity Center user behind a Slack profile's email (emails.value, else UserName = the email). */
    identityCenterUser: (email: string) => findIdentityCenterUser(ctx, email),
    /** Whether a permission-set grant's user already holds its assignment directly (standing or granted). */
    holdsAssignment: (spec: GrantSpec) => holdsAssignment(ctx, spec),

    /** Every overdue expiry in the IAM tags of the managed accounts (GetAccountAuthorizationDetails). */
    findOverdueInIam: (who: Actor, opts: { accounts?: string[] } = {}) => findOverdue(ctx, who, opts),
    revokeTaggedGrant: (g: TaggedGrant, who: Actor, opts: { spec?: GrantSpec; reason: string }) =>
      revokeTaggedGrant(ctx, g, who, opts),
    endTaggedTemporaryUser: (u: TaggedTemporaryUser, who: Actor) => endTaggedTemporaryUser(ctx, u, who),
    deleteTaggedUser: (d: TaggedDeletion, who: Actor) => deleteTaggedUser(ctx, d, who),

    /**
     * Identity Center reconcile: removes every assignment of an elevation_only permission set that no grant
     * `opts.grants()` returns explains (read after the listing), each removal audited.
     */
    removeUnexplainedAssignments: (who: Actor, opts: IcReconcileOptions) =>
      removeUnexplainedAssignments(ctx, who, opts),
    identityCenterPeople: {
      /** Whether config has identity_center: offboarding and the digest say so. */
      configured: (): boolean => ctx.config.identity_center !== undefined,
      /** The Identity Store user id for a UserName; undefined when there is none. */
      userId: (userName: string) => identityCenter(ctx).userId({ userName }),
      /** Read-only checks of a create (name, email, groups, no such user yet). */
      validate: (input: IdentityUserInput) => validateIdentityUser(ctx, input).then(() => undefined),
      /** The user's id and groups by UserName; undefined when there is no such user. */
      describe: (userName: string) => describeIdentityUser(ctx, userName),
      create: (input: IdentityUserInput, who: Actor) => createIdentityUser(ctx, input, who),
      offboard: (input: OffboardIdentityInput, who: Actor, opts: { dryRun?: boolean } = {}) =>
        offboardIdentityUser(ctx, input, who, opts),
      /** Days an offboarded user is kept before the sweep deletes it (identity_center.remove_after_days). */
      removeAfterDays: (): number => identityRemoveAfterDays(ctx.config),
      /** Deletes offboarded Identity Center users whose deletion day has come. */
      sweep: (who: Actor, opts: { dryRun?: boolean } = {}) => sweepIdentityCenter(ctx, who, opts),
    },

    reviews: {
      /** Scans the accounts and freezes every entitlement as a `created` campaign in the store (audited). */
      start: (store: ReviewStore, opts: StartCampaignOptions) => startCampaign(ctx, store, opts),
      /** The auditor's CSV and JSON: every item, decision and revocation. Pure. */
      report: (campaign: ReviewCampaign, items: readonly ReviewItem[]) => reviewReport(campaign, items),
      /** Takes away the one entitlement a review item certifies (audited `review.revoke`; gone already: noop). */
      revoke: (input: RevokeInput, who: Actor) => revokeEntitlement(ctx, input, who),
    },

    scan: (opts: Pick<ScanOptions, 'accounts' | 'history'> = {}) => scan(ctx, opts),
    generateReport: (type: ReportType) => generateReport(ctx, type),
  };
}

export type CoreOps = ReturnType<typeof bindCore>;

// Pure pieces and types the rest of the app may use: core/'s files themselves stay private to core/.
export type { AuditEvent, AuditInput, AuditOutcome, AuditSink } from './audit.js';
export { Auditor, MemoryAuditSink } from './audit.js';
export { AccountClients, resolveHomeAccountId } from './aws/accounts.js';
export { startDiscovery } from './aws/organization.js';
export { type Clock, DAY_MS, parseWhen, systemClock } from './clock.js';
export type { Actor, CoreContext } from './context.js';
export {
  findingsCsv,
  findingsDocument,
  historyText,
  type Summary,
  summarize,
} from './detect/findings-report.js';
export {
  countBySeverity,
  type FindingHistory,
  type FindingRecord,
  resolutionComment,
  resolutionText,
  type ScanRun,
  type ScanSource,
  trendOf,
} from './detect/history.js';
export { type Finding, type Severity, severityAtLeast } from './detect/inactivity.js';
export { REPORT_TYPES, type ReportType, reportText } from './detect/reports.js';
export {
  type AccountScan,
  failedAccounts,
  formatAge,
  resolvedAfter,
  type ScanResult,
  staleNote,
} from './detect/scan.js';
export {
  type Grant,
  type GrantKind,
  type GrantMessage,
  type GrantSpec,
  grantableFor,
  grantId,
  type IdentityCenterUser,
  permissionSetAccounts,
  permissionSetOf,
  TEMPLATE_TAG,
  validateGrantRequest,
} from './grants.js';
export {
  IC_USERNAME_RE,
  type IdentityUserInput,
  type IdentityUserResult,
  type OffboardIdentityResult,
} from './identity-center/people.js';
export {
  type ElevationOnlySet,
  type ExplainingGrant,
  elevationOnlySets,
  IC_RECONCILE_ACTION,
  IC_RECONCILE_REASON,
  type IcReconcileSummary,
  type ReconcileFailure,
  type RemovedAssignment,
} from './identity-center/reconcile.js';
export {
  type AccountRead,
  IAM_TAG_SOURCE,
  type IamExpiries,
  type TagAct,
  type TaggedDeletion,
  type TaggedGrant,
  type TaggedTemporaryUser,
} from './reconcile.js';
export {
  type CampaignSummary,
  DUE_MAX_DAYS,
  DUE_MIN_DAYS,
  defaultCampaignName,
  NAME_MAX,
  parseDue,
  personOf,
  type StartCampaignOptions,
  type StartedCampaign,
} from './review/campaign.js';
export { REVIEW_CSV_COLUMNS, type ReviewReportSummary, reviewSummary } from './review/report.js';
export { entitlementWords, type RevokeInput, type RevokeResult } from './review/revoke.js';
export { changeRefusal } from './review/rules.js';
export type {
  CampaignPatch,
  CampaignStatus,
  DecisionOutcome,
  EntitlementKind,
  ItemChangeResult,
  ReviewCampaign,
  ReviewerProgress,
  ReviewItem,
  ReviewStore,
  Revocation,
} from './review/types.js';
export {
  type ApprovalRule,
  allowedExtraGroups,
  approvalRule,
  checkExtraGroups,
  type ElevatedAccess,
  EMAIL_RE,
  findTemplate,
  GROUP_RE,
  getTemplate,
  grantRule,
  USERNAME_RE,
} from './templates.js';
export { type CleanTextOptions, cleanText } from './text.js';
export type { CreateUserResult } from './users/create.js';
export type { UserSnapshot } from './users/describe.js';
export type { IamUserRef } from './users/directory.js';
export type { CreateUserInput } from './users/input.js';
