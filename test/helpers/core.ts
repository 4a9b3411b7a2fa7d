import { CreateGroupCommand, type IAMClient } from '@aws-sdk/client-iam';
import { TOTP, URI } from 'otpauth';
import { type Config, parseEnv, parseFileConfig, readConfigFile } from '../../src/config.js';
import { Auditor, MemoryAuditSink } from '../../src/core/audit.js';
import { type Clock, systemClock } from '../../src/core/clock.js';
import type { Actor, CoreContext } from '../../src/core/context.js';
import { createLogger } from '../../src/logger.js';
import { MOTO_ACCOUNT, type Moto } from './moto.js';

/** config.example.yml, but acting in moto's default account only (no AssumeRole). */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const file = parseFileConfig(readConfigFile('config.example.yml'), 'config.example.yml');
  return {
    ...file,
    accounts: [],
    home_account: undefined,
    source: 'config.example.yml',
    env: parseEnv({}),
    ...overrides,
  };
}

export interface TestCtx extends CoreContext {
  sink: MemoryAuditSink;
  /** Everything the logger wrote. */
  logs: () => string;
  /** Names of every SDK command sent through the home IAM client, in order. */
  commands: string[];
}

export const who: Actor = { actor: 'tester', requestId: 'req-1' };

/** A CoreContext over moto with captured logs, audit events and SDK command names; sleeps are instant. */
export function testCtx(moto: Moto, opts: { clock?: Clock; config?: Config } = {}): TestCtx {
  const clock = opts.clock ?? systemClock;
  const clients = moto.clients([], { clock });
  const sink = new MemoryAuditSink();
  let logText = '';
  const logger = createLogger('debug', {
    write(chunk: string) {
      logText += chunk;
      return true;
    },
  } as unknown as NodeJS.WritableStream);
  const commands: string[] = [];
  recordCommands(clients.iam(MOTO_ACCOUNT), commands);
  return {
    config: opts.config ?? testConfig(),
    clients,
    auditor: new Auditor(sink, clock, logger),
    clock,
    logger,
    sleep: async () => undefined,
    sink,
    logs: () => logText,
    commands,
  };
}

/** Records the name of every command the client sends (each attempt counts once, before retries). */
export function recordCommands(iam: IAMClient, into: string[]): void {
  iam.middlewareStack.add(
    (next, context) => async (args) => {
      into.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
}

export const MUTATING =
  /^(Create|Delete|Put|Attach|Detach|Add|Remove|Update|Tag|Untag|Enable|Deactivate|Upload|Reset)/;

export async function createGroups(iam: IAMClient, names: string[]): Promise<void> {
  for (const GroupName of names) await iam.send(new CreateGroupCommand({ GroupName }));
}

/** The seed in an otpauth URI, as an authenticator app reads it. */
export function seedOf(uri: string): string {
  return URI.parse(uri).secret.base32;
}

/** The code an authenticator app shows for this otpauth URI at `at`; `offsetSteps` 1 is the next one. */
export function totpCode(uri: string, at: Date, offsetSteps = 0): string {
  const otp = URI.parse(uri);
  if (!(otp instanceof TOTP)) throw new Error(`not a TOTP URI: ${uri.slice(0, 40)}`);
  return otp.generate({ timestamp: at.getTime() + offsetSteps * otp.period * 1000 });
}
