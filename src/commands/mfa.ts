import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors.js';
import { checkTargetArgs, resolveTarget } from '../handlers/lib/targets.js';
import { openDm } from '../integrations/slack-users.js';
import { escapeText } from '../views/escape.js';
import { mfaPromptMessage } from '../views/mfa.js';
import type { Subcommand } from './types.js';

/**
 * Virtual MFA by DM: device → QR uploaded to the owner's DM → "Enter codes" → EnableMFADevice → QR
 * deleted. The seed and QR bytes live only in this function's memory and the owner's DM; the store keeps
 * the serial number, owner, file id and start time (for the 15-minute cleanup).
 */
export const mfa: Subcommand = {
  name: 'mfa',
  usage: 'mfa [iam-user | @someone] [account]',
  summary: 'enrol a virtual MFA device; the QR code goes to the user’s owner by DM',
  check: checkTargetArgs,
  handler: (deps) => async (c) => {
    const caller = c.command.user_id;
    const found = await resolveTarget(deps, caller, c.args);
    if (!found.ok) return c.reply(found.message);
    const { target } = found;
    if (!target.owner) {
      await c.reply(
        `\`${escapeText(target.username)}\` has no SlackUserId tag, so there is nobody to send the QR code to.`,
      );
      return;
    }
    const id = randomUUID();
    const who = { actor: caller, requestId: id };
    const started = await deps.ops.startMfaEnrollment(
      { account: target.account, username: target.username },
      who,
    );
    const account = target.account ?? 'home';
    const enrollment = {
      id,
      owner: target.owner,
      startedBy: caller,
      account,
      username: target.username,
      serialNumber: started.serialNumber,
      startedAt: deps.clock.now().toISOString(),
    };
    // Recorded before the upload, so a failure anywhere after still gets cleaned up by the job.
    await deps.store.putMfa(enrollment);
    try {
      const channel = await openDm(c.client, target.owner);
      const up = (await c.client.filesUploadV2({
        channel_id: channel,
        file: started.qrPng,
        filename: 'mfa-qr.png',
        title: `MFA for ${target.username}`,
      })) as unknown as { files?: { files?: { id?: string }[] }[] };
      const fileId = up.files?.[0]?.files?.[0]?.id;
      await deps.store.putMfa({ ...enrollment, channel, ...(fileId ? { fileId } : {}) });
      await c.client.chat.postMessage({
        channel,
        ...mfaPromptMessage({ id, username: target.username, account }),
      });
    } catch (err) {
      deps.logger.error({ err: errorMessage(err), enrollment: id }, 'could not deliver the MFA QR code');
      const e = await deps.store.takeMfa(id);
      if (e)
        await deps.ops.abandonMfaEnrollment({ account: target.account, serialNumber: e.serialNumber }, who);
      await c.reply('Could not send the QR code by DM; the device was removed. Try again.');
      return;
    }
    await c.reply(
      target.owner === caller
        ? 'Check your DMs: scan the QR code, then press *Enter codes*.'
        : `The QR code for \`${escapeText(target.username)}\` went to <@${target.owner}> by DM.`,
    );
  },
};
