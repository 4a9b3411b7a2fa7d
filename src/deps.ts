import type { WebClient } from '@slack/web-api';
import type { Config } from './config.js';
import type { Clock, CoreOps } from './core/index.js';
import type { Logger } from './logger.js';
import type { FollowUpGate } from './slack/ack-gate.js';
import type { Drain } from './slack/drain.js';
import type { Roles } from './slack/roles.js';
import type { Store } from './store/types.js';

/**
 * What main.ts builds before the Slack app exists. `core` is core/ bound to one context (bindCore): the
 * only way any listener, flow or job reaches AWS. Tests swap it for a slow or failing wrapper.
 */
export interface BaseDeps {
  config: Config;
  core: CoreOps;
  store: Store;
  clock: Clock;
  logger: Logger;
}

/**
 * What every listener, flow and job receives: the base plus the app's own WebClient (jobs run outside a
 * Slack request, and Bolt's per-request client is this same one in a single-workspace app), who may
 * approve, and the gate that lets a burst of acks go out before follow-up work starts.
 */
export interface Deps extends BaseDeps {
  client: WebClient;
  roles: Roles;
  followUps: FollowUpGate;
  /** Executions and job runs in progress: shutdown stops new ones and waits for these (bounded). */
  drain: Drain;
  /** `/aws-user` usage lines, for App Home: handed in by the app so flows never import commands/. */
  commandUsage: readonly string[];
  /** App Home's trend chart, uploaded once per newest scan run: run id → its Slack file (flows/trend.ts). */
  trendImages: Map<string, { fileId: string; alt: string }>;
}

/** Trend images remembered per replica: only the newest matters; a few cover runs racing a Home open. */
export const TREND_IMAGES_KEPT = 4;
