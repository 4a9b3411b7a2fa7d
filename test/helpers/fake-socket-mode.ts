import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { FakeSlack } from './fake-slack.js';
import { type SlashCommand, slashCommandBody } from './slack-requests.js';

/**
 * Slack's side of Socket Mode on a local WebSocket server. `attach(fakeSlack)` makes the fake Web API answer
 * `apps.connections.open` (app-level token only, as Slack does) with a fresh ws:// URL for each call. Each
 * connection gets `hello`; `send*` pushes an envelope on the live connection and resolves with the app's
 * ack, which must carry the envelope's `envelope_id` and arrive within Slack's 3 s (else it rejects: Slack
 * would retry or show the user an error). `drop()` cuts the socket without a close handshake, as a lost
 * link does; `refresh()` asks the client to reconnect the way Slack does before recycling a host.
 */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface Ack {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  /** Milliseconds from sending the envelope to its ack. */
  ms: number;
  /** Which connection (1-based) carried the envelope and its ack. */
  connection: number;
}

/** Slack's deadline for an ack; past it Slack retries the envelope or tells the user the app failed. */
export const ACK_DEADLINE_MS = 3000;

interface Waiting {
  type: EnvelopeType;
  sentAt: number;
  connection: number;
  resolve(ack: Ack): void;
}

export class FakeSocketMode {
  /** Every ack received, by envelope id (also late ones and acks for unknown envelopes). */
  readonly acks = new Map<string, Ack>();
  /** Ticket of each apps.connections.open answer, in order. */
  readonly tickets: string[] = [];
  /** Connections that got their hello, in order (1-based ids). */
  hellos = 0;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private live: { ws: WebSocket; id: number } | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private readonly used = new Set<string>();
  private pinger: NodeJS.Timeout | undefined;
  private url = '';

  get connectionsOpened(): number {
    return this.tickets.length;
  }

  /** Serves apps.connections.open on the fake Web API; only an xapp- token gets a URL. */
  attach(fake: FakeSlack): this {
    fake.on('apps.connections.open', (_body, call) => {
      if (!call.token?.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
      const ticket = randomBytes(8).toString('hex');
      this.tickets.push(ticket);
      return { ok: true, url: `${this.url}/link/?ticket=${ticket}&app_id=A0APP` };
    });
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((_req, res) => {
      res.writeHead(426).end();
    });
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (ws, req) => {
      const ticket = new URL(req.url ?? '/', 'ws://x').searchParams.get('ticket') ?? '';
      // Slack's tickets are single-use URLs from apps.connections.open: anything else is refused.
      if (!this.tickets.includes(ticket) || this.used.has(ticket)) {
        ws.close(1008, 'invalid ticket');
        return;
      }
      this.used.add(ticket);
      const id = ++this.hellos;
      this.live = { ws, id };
      ws.on('message', (data) => this.onMessage(data.toString(), id));
      ws.on('close', () => {
        if (this.live?.ws === ws) this.live = undefined;
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          debug_info: { host: 'applink-fake-1', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: 'A0APP' },
        }),
      );
    });
    // Slack pings the client every few seconds; the client gives up on a server silent for 30 s.
    this.pinger = setInterval(() => this.live?.ws.ping(), 5000);
    this.pinger.unref();
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.pinger);
    for (const c of this.wss?.clients ?? []) c.terminate();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** Resolves once `n` connections have had their hello and one is live. */
  async waitForConnection(n = 1, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.hellos >= n && this.live?.ws.readyState === 1)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for Socket Mode connection #${n} (apps.connections.open calls: ${this.tickets.length}, hellos: ${this.hellos})`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A slash command, as Slack sends it over the socket: the form fields as a JSON object. */
  slashCommand(c: SlashCommand): Promise<Ack> {
    const payload = Object.fromEntries(new URLSearchParams(slashCommandBody(c)));
    return this.send('slash_commands', payload, true);
  }

  /** A block_actions, view_submission, … payload (see slack-requests.ts for builders). */
  interactive(payload: Record<string, unknown>): Promise<Ack> {
    // Slack lets the ack carry a response (response_action) only for view submissions and commands.
    return this.send('interactive', payload, payload.type === 'view_submission');
  }

  send(type: EnvelopeType, payload: Record<string, unknown>, acceptsResponsePayload: boolean): Promise<Ack> {
    const live = this.live;
    if (live?.ws.readyState !== 1) return Promise.reject(new Error('no live Socket Mode connection'));
    const envelopeId = `${randomBytes(4).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(6).toString('hex')}`;
    return new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(envelopeId);
        reject(new Error(`no ack for ${type} envelope ${envelopeId} within ${ACK_DEADLINE_MS} ms`));
      }, ACK_DEADLINE_MS);
      this.waiting.set(envelopeId, {
        type,
        sentAt: performance.now(),
        connection: live.id,
        resolve: (ack) => {
          clearTimeout(timer);
          resolve(ack);
        },
      });
      live.ws.send(
        JSON.stringify({
          envelope_id: envelopeId,
          payload,
          type,
          accepts_response_payload: acceptsResponsePayload,
        }),
      );
    });
  }

  /** Cuts the live connection with no close frame; the client has to open a new one. */
  drop(): void {
    this.live?.ws.terminate();
    this.live = undefined;
  }

  /** Slack's polite version: a `disconnect` message, after which the client reconnects. */
  refresh(): void {
    this.live?.ws.send(
      JSON.stringify({
        type: 'disconnect',
        reason: 'refresh_requested',
        debug_info: { host: 'applink-fake-1' },
      }),
    );
  }

  private onMessage(text: string, connection: number): void {
    let msg: { envelope_id?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.envelope_id !== 'string') return;
    const w = this.waiting.get(msg.envelope_id);
    const ack: Ack = {
      envelope_id: msg.envelope_id,
      type: w?.type ?? 'events_api',
      payload: (msg.payload ?? {}) as Record<string, unknown>,
      ms: w ? performance.now() - w.sentAt : Number.NaN,
      connection,
    };
    this.acks.set(msg.envelope_id, ack);
    if (w) {
      this.waiting.delete(msg.envelope_id);
      w.resolve(ack);
    }
  }
}

export async function startFakeSocketMode(fake: FakeSlack): Promise<FakeSocketMode> {
  return (await new FakeSocketMode().start()).attach(fake);
}
