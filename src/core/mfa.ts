import {
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteConflictException,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  EntityAlreadyExistsException,
  GetUserCommand,
  type IAMClient,
  IAMServiceException,
  InvalidAuthenticationCodeException,
  ListMFADevicesCommand,
  ListMFADeviceTagsCommand,
  NoSuchEntityException,
  paginateListVirtualMFADevices,
} from '@aws-sdk/client-iam';
import QRCode from 'qrcode';
import { ConflictError, errorMessage, ValidationError } from '../errors.js';
import { audited } from './audit.js';
import { collect } from './aws/paging.js';
import { ignoreMissing, isNoSuchEntity, isUnmodifiable, withRetry } from './aws/retry.js';
import type { Actor, CoreContext } from './context.js';
import { TAG } from './tags.js';
import { validateUsername } from './templates.js';
import { onUser } from './users/describe.js';

/**
 * Virtual MFA: a device named after the user, the otpauth URI and a QR PNG we render ourselves from the
 * Base32 seed (IAM's QRCodePNG cannot be relied on: moto's is random bytes), enabling with two consecutive
 * TOTP codes, listing and deactivation. The seed, URI and PNG are returned to the caller only.
 */
export interface MfaDeviceStart {
  serialNumber: string;
  otpauthUri: string;
  qrPng: Buffer;
}

export const MFA_ISSUER = 'AWS';

export function otpauthUri(base32Seed: string, label: string, issuer = MFA_ISSUER): string {
  const l = encodeURIComponent(`${issuer}:${label}`);
  return `otpauth://totp/${l}?secret=${base32Seed}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`;
}

async function userMustExist(ctx: CoreContext, account: string, username: string, who: Actor) {
  await onUser(account, username, () =>
    ctx.clients.iam(account, who.actor).send(new GetUserCommand({ UserName: username })),
  );
}

/** Creates the device (replacing an unassigned leftover of a failed enrollment) and returns URI + QR. */
export async function startMfaEnrollment(
  ctx: CoreContext,
  input: { account: string; username: string },
  who: Actor,
): Promise<MfaDeviceStart> {
  validateUsername(input.username);
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  return audited(ctx, who, { action: 'mfa.start', account, target: input.username }, async () => {
    await userMustExist(ctx, account, input.username, who);
    const assigned =
      (await iam.send(new ListMFADevicesCommand({ UserName: input.username }))).MFADevices ?? [];
    // The tag is how the clean-up sweep tells an enrollment this tool abandoned from a device users made.
    const Tags = [{ Key: TAG.mfaCreatedAt, Value: ctx.clock.now().toISOString() }];
    const create = () =>
      iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: input.username, Tags }));
    let out: Awaited<ReturnType<typeof create>>;
    try {
      out = await create();
    } catch (err) {
      if (!(err instanceof EntityAlreadyExistsException)) throw err;
      const mine = assigned.find((d) => d.SerialNumber?.endsWith(`:mfa/${input.username}`));
      if (mine) {
        throw new ConflictError(
          `user "${input.username}" already has MFA device ${mine.SerialNumber} enabled; deactivate it first to enroll a new one`,
        );
      }
      // A device of that name exists but is not this user's: the leftover of an abandoned enrollment.
      const unassigned = await collect(
        paginateListVirtualMFADevices({ client: iam }, { AssignmentStatus: 'Unassigned' }),
        (p) => p.VirtualMFADevices,
      );
      const leftover = unassigned.find((d) =>
        d.SerialNumber?.endsWith(`:mfa/${input.username}`),
      )?.SerialNumber;
      if (!leftover) {
        throw new ConflictError(`an MFA device named "${input.username}" is in use by another user`, {
          cause: err,
        });
      }
      await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: leftover })).catch((e) => {
        if (e instanceof DeleteConflictException) {
          throw new ConflictError(`an MFA device named "${input.username}" is in use by another user`, {
            cause: e,
          });
        }
        if (!(e instanceof NoSuchEntityException)) throw e;
      });
      out = await create();
    }
    const dev = out.VirtualMFADevice;
    const seed = dev?.Base32StringSeed ? new TextDecoder().decode(dev.Base32StringSeed) : '';
    if (!dev?.SerialNumber || !seed) throw new Error('CreateVirtualMFADevice returned no serial or seed');
    const uri = otpauthUri(seed, `${input.username}@${account}`);
    const qrPng = await QRCode.toBuffer(uri, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 6 });
    return {
      result: { serialNumber: dev.SerialNumber, otpauthUri: uri, qrPng },
      details: { serialNumber: dev.SerialNumber },
    };
  });
}

const CODE_RE = /^\d{6}$/;

/** Enables the device with two consecutive codes; a no-op if it is already this user's. */
export async function completeMfaEnrollment(
  ctx: CoreContext,
  input: { account: string; username: string; serialNumber: string; code1: string; code2: string },
  who: Actor,
): Promise<void> {
  validateUsername(input.username);
  const code1 = String(input.code1 ?? '').trim();
  const code2 = String(input.code2 ?? '').trim();
  if (!CODE_RE.test(code1))
    throw new ValidationError('code1', 'must be the 6 digits your authenticator app shows');
  if (!CODE_RE.test(code2))
    throw new ValidationError('code2', 'must be the next 6 digits your authenticator app shows');
  if (code1 === code2) {
    throw new ValidationError(
      'code2',
      'must be the NEXT code, not the same one',
      'wait up to 30 seconds for a new code',
    );
  }
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  const existing = (await iam.send(new ListMFADevicesCommand({ UserName: input.username }))).MFADevices ?? [];
  const details = { serialNumber: input.serialNumber };
  const scope = { action: 'mfa.enable', account, target: input.username };
  await audited(ctx, who, scope, async (trail) => {
    if (existing.some((d) => d.SerialNumber === input.serialNumber)) {
      return { result: undefined, outcome: 'noop', details };
    }
    await withRetry(
      ctx,
      () =>
        iam.send(
          new EnableMFADeviceCommand({
            UserName: input.username,
            SerialNumber: input.serialNumber,
            AuthenticationCode1: code1,
            AuthenticationCode2: code2,
          }),
        ),
      (e) => isNoSuchEntity(e) || isUnmodifiable(e),
      { attempts: 4, baseMs: 300 },
    ).catch(async (err) => {
      // The name alone: the message could echo the codes.
      await trail.fail(err, { error: (err as Error).name, details });
      if (!(err instanceof InvalidAuthenticationCodeException)) throw err;
      const invalid = new ValidationError(
        'codes',
        'the codes did not match this device',
        'scan the QR again and enter two consecutive codes (wait for the second to appear)',
        { cause: err },
      );
      throw invalid;
    });
    return { result: undefined, details };
  });
}

/** Deletes a device left unassigned by a failed or abandoned enrollment (idempotent). */
export async function abandonMfaEnrollment(
  ctx: CoreContext,
  input: { account: string; serialNumber: string },
  who: Actor,
): Promise<void> {
  const { id: account } = ctx.clients.resolve(input.account);
  const scope = { action: 'mfa.abandon', account, target: input.serialNumber };
  await audited(ctx, who, scope, async () => {
    const gone = !(await ignoreMissing(() =>
      ctx.clients
        .iam(account, who.actor)
        .send(new DeleteVirtualMFADeviceCommand({ SerialNumber: input.serialNumber })),
    ).catch((err) => {
      if (!(err instanceof DeleteConflictException)) throw err;
      throw new ConflictError(
        `MFA device ${input.serialNumber} is assigned to a user; use deactivateMfa instead`,
        { cause: err },
      );
    }));
    return { result: undefined, outcome: gone ? 'noop' : 'success' };
  });
}

export async function listMfaDevices(
  ctx: CoreContext,
  input: { account: string; username: string },
): Promise<{ serialNumber: string; enabledAt?: string }[]> {
  validateUsername(input.username);
  const { id: account } = ctx.clients.resolve(input.account);
  const out = await onUser(account, input.username, () =>
    ctx.clients.iam(account).send(new ListMFADevicesCommand({ UserName: input.username })),
  );
  return (out.MFADevices ?? []).map((d) => ({
    serialNumber: d.SerialNumber ?? '',
    ...(d.EnableDate ? { enabledAt: d.EnableDate.toISOString() } : {}),
  }));
}

/** Deactivates the device and, if virtual, deletes it (idempotent). */
export async function deactivateMfa(
  ctx: CoreContext,
  input: { account: string; username: string; serialNumber: string },
  who: Actor,
): Promise<void> {
  validateUsername(input.username);
  const { id: account } = ctx.clients.resolve(input.account);
  const iam = ctx.clients.iam(account, who.actor);
  const details = { serialNumber: input.serialNumber };
  const scope = { action: 'mfa.deactivate', account, target: input.username };
  await audited(ctx, who, scope, async (trail) => {
    try {
      const deactivated = await ignoreMissing(() =>
        iam.send(
          new DeactivateMFADeviceCommand({ UserName: input.username, SerialNumber: input.serialNumber }),
        ),
      );
      const deleted =
        input.serialNumber.startsWith('arn:') &&
        (await ignoreMissing(() =>
          withRetry(
            ctx,
            () => iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: input.serialNumber })),
            (e) => e instanceof DeleteConflictException || isUnmodifiable(e),
            { attempts: 4 },
          ),
        ));
      return { result: undefined, outcome: deactivated || deleted ? 'success' : 'noop', details };
    } catch (err) {
      await trail.fail(err, { details });
      throw err;
    }
  });
}

/** [] where the endpoint does not implement ListMFADeviceTags (moto): such devices are never swept. */
async function deviceTags(iam: IAMClient, SerialNumber: string): Promise<{ Key?: string; Value?: string }[]> {
  try {
    return (await iam.send(new ListMFADeviceTagsCommand({ SerialNumber }))).Tags ?? [];
  } catch (err) {
    if (err instanceof IAMServiceException && !/^(Error|UnknownError)$/.test(err.name)) throw err;
    return [];
  }
}

/**
 * Deletes virtual MFA devices that enrollment left unassigned for longer than `olderThanMinutes` (the bot's
 * mfa_cleanup job). Only devices this tool created (tagged `aws-user:created-at`) are touched, so devices
 * users made themselves and enrollments still in progress are left alone.
 */
export async function sweepAbandonedMfa(
  ctx: CoreContext,
  input: { accounts?: string[]; olderThanMinutes: number },
  who: Actor,
  opts: { dryRun?: boolean } = {},
): Promise<{ deleted: string[]; failed: { serialNumber: string; error: string }[] }> {
  const deleted: string[] = [];
  const failed: { serialNumber: string; error: string }[] = [];
  const cutoff = ctx.clock.now().getTime() - input.olderThanMinutes * 60_000;
  for (const { id: acct } of ctx.clients.select(input.accounts)) {
    const iam = ctx.clients.iam(acct, who.actor);
    let devices: {
      SerialNumber?: string | undefined;
      Tags?: { Key?: string; Value?: string }[] | undefined;
    }[];
    try {
      devices = await collect(
        paginateListVirtualMFADevices({ client: iam }, { AssignmentStatus: 'Unassigned' }),
        (p) => p.VirtualMFADevices,
      );
    } catch (err) {
      failed.push({ serialNumber: `${ctx.clients.resolve(acct).id}:*`, error: errorMessage(err) });
      continue;
    }
    for (const d of devices) {
      const serial = d.SerialNumber;
      if (!serial) continue;
      try {
        // ListVirtualMFADevices never returns tags (AWS's API reference): ask for each device's own.
        const tags = await deviceTags(iam, serial);
        const created = Date.parse(tags.find((t) => t.Key === TAG.mfaCreatedAt)?.Value ?? '');
        if (Number.isNaN(created) || created > cutoff) continue;
        if (!opts.dryRun) await abandonMfaEnrollment(ctx, { account: acct, serialNumber: serial }, who);
        deleted.push(serial);
      } catch (err) {
        failed.push({ serialNumber: serial, error: errorMessage(err) });
      }
    }
  }
  return { deleted, failed };
}
