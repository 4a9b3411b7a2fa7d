/**
 * One base class for every error the project raises on purpose. `code` is stable and machine-readable
 * (the CLI maps it to an exit code, Slack handlers to a message); `field` and `fix` make bad input
 * actionable. Messages must never carry a secret: they reach Slack channels and logs.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'CONFIG'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'LIMIT'
  | 'STEP_FAILED'
  | 'UNAUTHORIZED'
  | 'STORE_UNAVAILABLE'
  | 'ACCOUNT_FAILED'
  | 'INTERNAL';

export class AwsUserError extends Error {
  readonly code: ErrorCode;
  override readonly cause?: unknown;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.cause = options.cause;
  }
}

/** Bad input: names the field and how to fix it. */
export class ValidationError extends AwsUserError {
  readonly field: string;
  readonly fix: string | undefined;
  constructor(field: string, problem: string, fix?: string, options: { cause?: unknown } = {}) {
    super('VALIDATION', `${field}: ${problem}${fix ? ` (${fix})` : ''}`, options);
    this.field = field;
    this.fix = fix;
  }
}

export class ConfigError extends AwsUserError {
  readonly issues: readonly string[];
  constructor(file: string, issues: readonly string[], options: { cause?: unknown } = {}) {
    super('CONFIG', `invalid configuration in ${file}:\n  ${issues.join('\n  ')}`, options);
    this.issues = issues;
  }
}

export class NotFoundError extends AwsUserError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('NOT_FOUND', message, options);
  }
}

export class ConflictError extends AwsUserError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFLICT', message, options);
  }
}

export class LimitError extends AwsUserError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('LIMIT', message, options);
  }
}

/** A multi-step operation failed part-way: which step, and what was undone. */
export class StepFailedError extends AwsUserError {
  readonly step: string;
  readonly rolledBack: readonly string[];
  readonly rollbackFailures: readonly string[];
  constructor(
    step: string,
    rolledBack: readonly string[],
    rollbackFailures: readonly string[],
    options: { cause?: unknown } = {},
  ) {
    const why = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    const undone =
      rolledBack.length > 0 ? `; rolled back: ${rolledBack.join(', ')}` : '; nothing to roll back';
    const left = rollbackFailures.length > 0 ? `; could NOT roll back: ${rollbackFailures.join(', ')}` : '';
    super('STEP_FAILED', `step "${step}" failed${why}${undone}${left}`, options);
    this.step = step;
    this.rolledBack = rolledBack;
    this.rollbackFailures = rollbackFailures;
  }
}

export class UnauthorizedError extends AwsUserError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('UNAUTHORIZED', message, options);
  }
}

export class StoreUnavailableError extends AwsUserError {
  constructor(message = 'approvals store unavailable, try again', options: { cause?: unknown } = {}) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

export class AccountFailedError extends AwsUserError {
  readonly accountId: string;
  constructor(accountId: string, message: string, options: { cause?: unknown } = {}) {
    super('ACCOUNT_FAILED', `account ${accountId}: ${message}`, options);
    this.accountId = accountId;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** IAM Identity Center answered FAILED (or never finished) for an account assignment change; `reason` says why. */
export class AssignmentFailedError extends AwsUserError {
  constructor(
    readonly operation: 'create' | 'delete',
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super('STEP_FAILED', `Identity Center could not ${operation} the account assignment: ${reason}`, options);
  }
}
