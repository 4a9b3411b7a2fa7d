import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of moto that injects faults at chosen steps, matched on the IAM/STS `Action` in the
 * form body: "the 2nd CreateLoginProfile answers Throttling", "the first TagUser loses its connection after
 * moto applied it". Everything else is forwarded untouched. It records what it injected and every action
 * it saw, so a test can say how many faults it threw and at which calls.
 *
 * Kinds, as IAM and the network produce them:
 * - `throttle`: 400 `Throttling` (IAM's rate limit; the SDK retries it).
 * - `http500`: 500 `ServiceFailure`; `http503`: 503 `ServiceUnavailable` (the SDK retries both).
 * - `unmodifiable`: 409 `EntityTemporarilyUnmodifiable` (not retried by the SDK; core retries some steps).
 * - `reset-before`: the socket is destroyed before moto sees the request (nothing happened).
 * - `reset-after`: moto applies the request, then the socket is destroyed before the answer (it happened,
 *   but the caller cannot know): the nastiest of the lot for non-idempotent calls.
 */
export type FaultKind = 'throttle' | 'http500' | 'http503' | 'unmodifiable' | 'reset-before' | 'reset-after';

export const FAULT_KINDS: readonly FaultKind[] = [
  'throttle',
  'http500',
  'http503',
  'unmodifiable',
  'reset-before',
  'reset-after',
];

export interface FaultRule {
  kind: FaultKind;
  /** The IAM/STS Action, e.g. "CreateLoginProfile". */
  action: string;
  /** Which matching call is the first to fail, counted from when the rule was added (1 = the next one). */
  nth?: number;
  /** How many consecutive matching calls fail from the nth on (e.g. 3 outlasts the SDK's retries). */
  times?: number;
}

export interface InjectedFault {
  kind: FaultKind;
  action: string;
}

/** A call moto answered with success: it took effect, whether or not the caller heard (reset-after). */
export interface AppliedCall {
  action: string;
  params: Record<string, string>;
}

export interface FaultProxy {
  endpoint: string;
  /** Adds a rule; rules are checked in the order added and the first that fires wins. */
  inject(rule: FaultRule): void;
  /** Runs `fn` (awaited) before the next `action` is forwarded: a place to kill or restart something. */
  before(action: string, fn: () => Promise<void>): void;
  /** Drops every rule and the records. */
  clear(): void;
  /** Every fault thrown so far, in order. */
  readonly injected: readonly InjectedFault[];
  /** Every action that reached the proxy, in order (faulted or not). */
  readonly actions: readonly string[];
  /** Every call that took effect in moto, in order. */
  readonly applied: readonly AppliedCall[];
  close(): Promise<void>;
}

const ERRORS: Record<'throttle' | 'http500' | 'http503' | 'unmodifiable', [number, string, string, string]> =
  {
    throttle: [400, 'Sender', 'Throttling', 'Rate exceeded'],
    http500: [
      500,
      'Receiver',
      'ServiceFailure',
      'The request processing has failed because of an unknown error',
    ],
    http503: [503, 'Receiver', 'ServiceUnavailable', 'Service is unable to handle request'],
    unmodifiable: [
      409,
      'Sender',
      'EntityTemporarilyUnmodifiable',
      'The entity is temporarily unmodifiable, please retry later',
    ],
  };

function errorBody(type: string, code: string, message: string, id: string): string {
  return `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface LiveRule extends Required<FaultRule> {
  seen: number;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: LiveRule[] = [];
  const injected: InjectedFault[] = [];
  const actions: string[] = [];
  const applied: AppliedCall[] = [];
  const hooks: { action: string; fn: () => Promise<void> }[] = [];

  function pick(action: string): FaultKind | undefined {
    let fired: FaultKind | undefined;
    for (const r of rules) {
      if (r.action !== action) continue;
      r.seen++;
      if (!fired && r.seen >= r.nth && r.seen < r.nth + r.times) fired = r.kind;
    }
    return fired;
  }

  function forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: object; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const fwd = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          void readAll(up).then(
            (b) => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: b }),
            reject,
          );
        },
      );
      fwd.on('error', reject);
      fwd.end(body);
    });
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '';
      if (action) actions.push(action);
      const hook = hooks.findIndex((h) => h.action === action);
      if (hook >= 0) await hooks.splice(hook, 1)[0]?.fn();
      const kind = action ? pick(action) : undefined;
      if (kind) injected.push({ kind, action });
      if (kind === 'reset-before') {
        req.socket.destroy();
        return;
      }
      if (kind && kind !== 'reset-after') {
        const [status, type, code, message] = ERRORS[kind];
        const id = randomUUID();
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': id });
        res.end(errorBody(type, code, message, id));
        return;
      }
      const up = await forward(req, body);
      if (action && up.status < 300) {
        const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
        applied.push({ action, params });
      }
      if (kind === 'reset-after') {
        req.socket.destroy();
        return;
      }
      res.writeHead(up.status, up.headers as Record<string, string>);
      res.end(up.body);
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject(rule) {
      rules.push({ nth: 1, times: 1, ...rule, seen: 0 });
    },
    before(action, fn) {
      hooks.push({ action, fn });
    },
    clear() {
      rules.length = 0;
      hooks.length = 0;
      injected.length = 0;
      actions.length = 0;
      applied.length = 0;
    },
    injected,
    actions,
    applied,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
