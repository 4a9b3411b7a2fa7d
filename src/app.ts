import type { Server } from 'node:http';
import { App, type Logger as BoltLogger, HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import * as commands from './commands/index.js';
import type { Config } from './config.js';
import type { BaseDeps, Deps } from './deps.js';
import { ConfigError, errorMessage } from './errors.js';
import * as handlers from './handlers/index.js';
import { healthRoute } from './health.js';
import type { Logger } from './logger.js';
import { FollowUpGate } from './slack/ack-gate.js';
import { Drain } from './slack/drain.js';
import { guardRequests } from './slack/request-guard.js';
import { Roles } from './slack/roles.js';

export const EVENTS_PATH = '/slack/events';
const BODY_LOG = /http request (body|result)|response body|request body|"text"\s*:/i;

/** Bolt wants @slack/logger's shape; everything still goes through the one pino logger. */
export function boltLogger(log: Logger): BoltLogger {
  const fmt = (m: unknown[]) => m.map((x) => (typeof x === 'string' ? x : errorMessage(x))).join(' ');
  const child = log.child({ component: 'bolt' });
  return {
    debug: (...m) => {
      // Checked first: formatting every WebClient debug line costs real time on the ack path.
      if (!child.isLevelEnabled('debug')) return;
      // At debug the WebClient logs whole API bodies, and a secret DM's body is the secret: drop them.
      const text = fmt(m);
      if (!BODY_LOG.test(text)) child.debug(text);
    },
    info: (...m) => child.info(fmt(m)),
    warn: (...m) => child.warn(fmt(m)),
    error: (...m) => child.error(fmt(m)),
    setLevel: () => undefined,
    getLevel: () => (log.level === 'debug' || log.level === 'trace' ? LogLevel.DEBUG : LogLevel.INFO),
    setName: () => undefined,
  };
}

/** Which variables each mode needs; a missing one stops start-up with this text. */
export function missingSlackEnv(env: Config['env']): string | undefined {
  const socket = Boolean(env.slackAppToken);
  const missing = [
    ...(env.slackBotToken ? [] : ['SLACK_BOT_TOKEN']),
    ...(socket || env.slackSigningSecret ? [] : ['SLACK_SIGNING_SECRET']),
  ];
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(' and ')}: create the Slack app from manifest.yml ("Create app from manifest" at https://api.slack.com/apps), install it, then set SLACK_BOT_TOKEN (OAuth & Permissions → Bot User OAuth Token, xoxb-…) and SLACK_SIGNING_SECRET (Basic Information → Signing Secret); for Socket Mode also SLACK_APP_TOKEN (an xapp-… token with connections:write).`;
}

export interface BotApp {
  app: App;
  deps: Deps;
  mode: 'http' | 'socket';
  /** HTTP mode: listens on `port` (0 = any free port) and returns it. */
  start(port?: number): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * Builds the Bolt app over injected deps: Socket Mode when SLACK_APP_TOKEN is set, else the HTTP receiver
 * at /slack/events. Both serve GET /healthz. Tests build it with fakes; main.ts with the real parts.
 */
export function createApp(config: Config, deps: BaseDeps): BotApp {
  const missing = missingSlackEnv(config.env);
  if (missing) throw new ConfigError('environment', [missing]);
  const logger = boltLogger(deps.logger);
  const customRoutes = [healthRoute(deps)];
  const mode = config.env.slackAppToken ? 'socket' : 'http';
  const receiver: HTTPReceiver | SocketModeReceiver =
    mode === 'socket'
      ? new SocketModeReceiver({
          appToken: config.env.slackAppToken as string,
          customRoutes,
          // Bolt hands installerOptions.clientOptions to the SocketModeClient's WebClient, the one that calls
          // apps.connections.open: without it Socket Mode always went to slack.com, whatever SLACK_API_URL said.
          installerOptions: { port: config.env.port, ...slackClientOptions(config) },
          logger,
        })
      : new HTTPReceiver({
          signingSecret: config.env.slackSigningSecret as string,
          endpoints: EVENTS_PATH,
          customRoutes,
          logger,
          // guardRequests verifies instead: both directions of Slack's 5 minutes, on deps.clock, plus the
          // replay cache. Bolt's own check looks only at the past, on Date.now().
          signatureVerification: false,
        });
  // Socket Mode has no signatures: Slack authenticates the WebSocket, and envelopes are acked by id.
  if (receiver instanceof HTTPReceiver) {
    guardRequests(receiver, {
      secret: config.env.slackSigningSecret as string,
      path: EVENTS_PATH,
      clock: deps.clock,
      store: deps.store,
      logger: deps.logger,
    });
  }
  const app = new App({
    token: config.env.slackBotToken,
    receiver,
    logger,
    ...slackClientOptions(config),
  });
  const appDeps: Deps = {
    ...deps,
    client: app.client,
    roles: new Roles(config, app.client, deps.clock, deps.logger),
    followUps: new FollowUpGate(),
    drain: new Drain(),
    commandUsage: commands.subcommands.map((s) => s.usage),
    trendImages: new Map(),
  };
  commands.register(app, appDeps);
  handlers.register(app, appDeps);
  app.error(async (err) => {
    deps.logger.error({ err: errorMessage(err) }, 'unhandled listener error');
  });
  return {
    app,
    deps: appDeps,
    mode,
    async start(port = config.env.port) {
      if (mode === 'socket') {
        await app.start();
        return undefined;
      }
      const server = (await app.start(port)) as unknown as Server;
      const addr = server.address();
      return typeof addr === 'object' && addr ? addr.port : port;
    },
    async stop() {
      await app.stop();
    },
  };
}

/**
 * WebClient options for every Slack connection the bot opens (the bot token's and Socket Mode's). A fresh
 * object per call: the SocketModeClient writes its own retryConfig into the options it is given.
 */
function slackClientOptions(config: Config): { clientOptions?: { slackApiUrl: string } } {
  const url = config.env.slackApiUrl;
  return url ? { clientOptions: { slackApiUrl: withSlash(url) } } : {};
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
