import QRCode from 'qrcode';
import type { Actor, CoreContext } from '../../core/context.js';
import { abandonMfaEnrollment, completeMfaEnrollment, startMfaEnrollment } from '../../core/mfa.js';
import { ValidationError } from '../../errors.js';
import type { CliCommandEnv, RegisterCliCommand } from '../index.js';
import { EXIT_PARTIAL } from '../io.js';
import { accountId, cliActor, context, emit } from './shared.js';

const ATTEMPTS = 3;

/**
 * Interactive enrollment: the QR goes to the terminal (stderr, so --json stdout stays clean), the two codes
 * are prompted for; after 3 wrong tries the unassigned device is deleted. Returns the serial or undefined.
 */
export async function enrollMfa(
  env: CliCommandEnv,
  ctx: CoreContext,
  who: Actor,
  account: string,
  username: string,
): Promise<string | undefined> {
  const e = await startMfaEnrollment(ctx, { account, username }, who);
  try {
    env.io.err(`Scan this QR code with an authenticator app for ${username}:\n`);
    env.io.err(await QRCode.toString(e.otpauthUri, { type: 'terminal', small: true }));
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const code1 = await env.io.prompt('First 6-digit code: ');
      const code2 = await env.io.prompt('Next 6-digit code (wait for it to change): ');
      try {
        await completeMfaEnrollment(
          ctx,
          { account, username, serialNumber: e.serialNumber, code1, code2 },
          who,
        );
        return e.serialNumber;
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        env.io.err(`${err.message}\n`);
      }
    }
  } catch (err) {
    await abandonMfaEnrollment(ctx, { account, serialNumber: e.serialNumber }, who).catch(() => undefined);
    throw err;
  }
  await abandonMfaEnrollment(ctx, { account, serialNumber: e.serialNumber }, who);
  return undefined;
}

export const enableMfaCommand: RegisterCliCommand = (program, env) => {
  program
    .command('enable-mfa')
    .description('enroll a virtual MFA device: shows a QR code and asks for two consecutive codes')
    .requiredOption('--username <name>', 'IAM user name')
    .option('--account <id|name>', 'target account; default: the home account')
    .action(async (o: { username: string; account?: string }) => {
      const ctx = await context(env);
      const serial = await enrollMfa(env, ctx, cliActor(env), accountId(ctx, o.account), o.username);
      emit(
        env,
        {
          ok: Boolean(serial),
          username: o.username,
          ...(serial ? { serialNumber: serial } : { error: 'codes did not match' }),
        },
        () => [
          serial
            ? `MFA enabled for ${o.username}: ${serial}`
            : `MFA NOT enabled for ${o.username}: the codes did not match ${ATTEMPTS} times; the device was removed`,
        ],
      );
      if (!serial) env.setExit(EXIT_PARTIAL);
    });
};
