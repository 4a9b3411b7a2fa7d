import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps.js';
import { errorMessage, ValidationError } from '../errors.js';
import { notify } from '../slack/dm.js';
import { openDm } from '../slack/users.js';
import type { MfaEnrollmentRecord } from '../store/types.js';
import { escapeText } from '../views/escape.js';
import { mfaPromptMessage } from '../views/mfa.js';
import { resolveTarget } from './targets.js';

/** An enrollment nobody finished in this long has its virtual device and QR file deleted. */
export const MFA_ABANDON_AFTER_MS = 15 * 60_000;

/**
 * Virtual MFA by DM: device → QR uploaded to the owner's DM → "Enter codes" → EnableMFADevice → QR
 * deleted. The seed and QR bytes live only in this function's memory and the owner's DM; the store keeps
 * the serial number, owner, file id and start time (for the 15-minute cleanup). Returns the reply.
 */
export async function startMfa(deps: Deps, caller: string, args: readonly string[]): Promise<string> {
  const found = await resolveTarget(deps, caller, args);
  if (!found.ok) return found.message;
  const { target } = found;
  if (!target.owner)
    return `\`${escapeText(target.username)}\` has no SlackUserId tag, so there is nobody to send the QR code to.`;
  const id = randomUUID();
  const who = { actor: caller, requestId: id };
  const started = await deps.core.startMfaEnrollment(
    { account: target.account, username: target.username },
    who,
  );
  const enrollment: MfaEnrollmentRecord = {
    id,
    owner: target.owner,
    startedBy: caller,
    account: target.account,
    username: target.username,
    serialNumber: started.serialNumber,
    startedAt: deps.clock.now().toISOString(),
  };
  // Recorded before the upload, so a failure anywhere after still gets cleaned up by the job.
  await deps.store.putMfa(enrollment);
  try {
    const channel = await openDm(deps.client, target.owner);
    const up = (await deps.client.filesUploadV2({
      channel_id: channel,
      file: started.qrPng,
      filename: 'mfa-qr.png',
      title: `MFA for ${target.username}`,
    })) as unknown as { files?: { files?: { id?: string }[] }[] };
    const fileId = up.files?.[0]?.files?.[0]?.id;
    await deps.store.putMfa({ ...enrollment, channel, ...(fileId ? { fileId } : {}) });
    await deps.client.chat.postMessage({
      channel,
      ...mfaPromptMessage({ id, username: target.username, account: target.account }),
    });
  } catch (err) {
    deps.logger.error({ err: errorMessage(err), enrollment: id }, 'could not deliver the MFA QR code');
    const e = await deps.store.takeMfa(id);
    if (e) await deps.core.abandonMfaEnrollment({ account: e.account, serialNumber: e.serialNumber }, who);
    return 'Could not send the QR code by DM; the device was removed. Try again.';
  }
  return target.owner === caller
    ? 'Check your DMs: scan the QR code, then press *Enter codes*.'
    : `The QR code for \`${escapeText(target.username)}\` went to <@${target.owner}> by DM.`;
}

/** Starts EnableMFADevice for the owner's two codes; resolves 'ok', or the error (a ValidationError means wrong codes). */
export function enableMfa(deps: Deps, e: MfaEnrollmentRecord, user: string, code1: string, code2: string) {
  return deps.core
    .completeMfaEnrollment(
      { account: e.account, username: e.username, serialNumber: e.serialNumber, code1, code2 },
      { actor: user, requestId: e.id },
    )
    .then(
      () => 'ok' as const,
      (err: unknown) => err,
    );
}

export const isWrongCodes = (result: unknown): boolean => result instanceof ValidationError;

/** After EnableMFADevice answered: the enrollment ends, the QR file goes, and the owner is told either way. */
export async function finishMfa(deps: Deps, e: MfaEnrollmentRecord, result: unknown): Promise<void> {
  if (result !== 'ok') {
    deps.logger.warn({ err: errorMessage(result), enrollment: e.id }, 'mfa enable failed');
    await notify(
      deps.client,
      e.owner,
      `MFA could not be enabled: ${errorMessage(result)}. Press *Enter codes* to try again.`,
    ).catch(() => undefined);
    return;
  }
  await deps.store.takeMfa(e.id).catch(() => undefined);
  if (e.fileId) {
    await deps.client.files.delete({ file: e.fileId }).catch((err: unknown) => {
      deps.logger.warn({ err: errorMessage(err) }, 'could not delete the MFA QR file');
    });
  }
  await notify(
    deps.client,
    e.owner,
    `MFA is enabled for \`${e.username}\`. The QR code has been deleted.`,
  ).catch(() => undefined);
}

/**
 * Abandoned enrollments: each taken atomically (if the owner completes at this very moment, only one side
 * cleans up), its device and QR file deleted and the owner told. Then the devices IAM still holds that no
 * record points to any more (a store lost or flushed mid-enrollment), found by the bot's creation tag.
 */
export async function cleanUpMfa(deps: Deps): Promise<void> {
  const cutoff = new Date(deps.clock.now().getTime() - MFA_ABANDON_AFTER_MS);
  for (const stale of await deps.store.listMfaStartedBefore(cutoff)) {
    const e = await deps.store.takeMfa(stale.id);
    if (!e) continue;
    const who = { actor: 'system:mfa-cleanup', requestId: e.id };
    try {
      await deps.core.abandonMfaEnrollment({ account: e.account, serialNumber: e.serialNumber }, who);
    } catch (err) {
      deps.logger.warn({ err: errorMessage(err), enrollment: e.id }, 'mfa cleanup: device delete failed');
    }
    if (e.fileId) await deps.client.files.delete({ file: e.fileId }).catch(() => undefined);
    if (e.channel) {
      await deps.client.chat
        .postMessage({
          channel: e.channel,
          text: `MFA enrollment for \`${e.username}\` was abandoned and has been cancelled; run \`/aws-user mfa\` to start again.`,
        })
        .catch(() => undefined);
    }
  }
  const who = { actor: 'system:mfa-cleanup', requestId: `mfa-sweep-${cutoff.toISOString()}` };
  await deps.core.sweepAbandonedMfa(MFA_ABANDON_AFTER_MS / 60_000, who).catch((err: unknown) => {
    deps.logger.warn({ err: errorMessage(err) }, 'mfa cleanup: sweep of untracked devices failed');
  });
}
