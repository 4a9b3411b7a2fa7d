import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * pino JSON logs. The redact list is a second line of defence: secrets are never passed to the logger on
 * purpose, but if a whole AWS response or Slack payload slips in, these paths are censored.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.Password',
  'secretAccessKey',
  '*.secretAccessKey',
  '*.SecretAccessKey',
  '*.*.SecretAccessKey',
  'seed',
  '*.seed',
  '*.Base32StringSeed',
  '*.*.Base32StringSeed',
  '*.QRCodePNG',
  '*.*.QRCodePNG',
  '*.otpauthUri',
  '*.qrPng',
  'token',
  '*.token',
  '*.SessionToken',
];

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const opts = { level, base: { app: 'aws-user' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}

/** For tests and the CLI's quiet mode. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
