import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Slack Web API that records every call. Point a WebClient at it with
 * `clientOptions: { slackApiUrl: fake.apiUrl }`. It serves what the bot uses (users, conversations, chat,
 * views, usergroups, files.uploadV2's three steps, files.delete) plus response_url posts, and lets a test
 * override any method with `fake.on(method, handler)`.
 *
 * Recorded: `calls` = [{ method, body, token, at }] where body is the parsed form/JSON (nested JSON strings
 * such as `blocks` and `view` are parsed too), `uploads` = the raw bytes of each file upload.
 */
export interface FakeUser {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  deleted?: boolean;
  is_bot?: boolean;
}

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  token: string | undefined;
  at: number;
  /** For response_url posts: the path it was posted to. */
  path?: string;
}

/** A handler's answer other than HTTP 200: `httpReply(503)`, `httpReply(429, { 'retry-after': '1' })`. */
export class HttpReply {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string> = {},
    readonly body: Record<string, unknown> = { ok: false },
  ) {}
}

export function httpReply(status: number, headers: Record<string, string> = {}): HttpReply {
  return new HttpReply(status, headers);
}

/** A scripted HTTP failure: `times` matching calls answer `status` (429 with Retry-After: `retryAfter` s). */
export interface HttpFailure {
  status: number;
  retryAfter?: number;
  times?: number;
  match?: (body: Record<string, unknown>) => boolean;
}

/** A handler answers with a body (HTTP 200), an HttpReply, or undefined for the built-in answer. */
type HandlerResult = Record<string, unknown> | HttpReply | undefined;
export type MethodHandler = (
  body: Record<string, unknown>,
  call: RecordedCall,
) => HandlerResult | Promise<HandlerResult>;

const JSON_FIELDS = ['blocks', 'attachments', 'view', 'files', 'users', 'metadata'];

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (JSON_FIELDS.includes(k)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // not JSON: keep the string
      }
    }
    out[k] = v;
  }
  return out;
}

/** The file part of a multipart upload (what Slack stores), or the raw body. */
function fileBytes(raw: Buffer, contentType: string | undefined): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return raw;
  const delimiter = Buffer.from(`--${b}`);
  let start = raw.indexOf(delimiter);
  while (start >= 0) {
    const next = raw.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = raw.subarray(start + delimiter.length, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0 && /filename=/.test(part.subarray(0, headerEnd).toString('latin1'))) {
      return part.subarray(headerEnd + 4, part.length - 2);
    }
    start = next;
  }
  return raw;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  readonly uploads = new Map<string, Buffer>();
  readonly users = new Map<string, FakeUser>();
  readonly usergroups = new Map<string, string[]>();
  /** Files that exist (uploaded and not deleted). */
  readonly files = new Set<string>();
  private readonly handlers = new Map<string, MethodHandler>();
  private server: Server | undefined;
  private seq = 0;
  url = '';

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url a slash command or action payload can carry. */
  responseUrl(tag = String(++this.seq)): string {
    return `${this.url}/response/${tag}`;
  }

  addUser(u: FakeUser): this {
    this.users.set(u.id, u);
    return this;
  }

  addUsergroup(id: string, members: string[]): this {
    this.usergroups.set(id, members);
    return this;
  }

  on(method: string, handler: MethodHandler): this {
    this.handlers.set(method, handler);
    return this;
  }

  /**
   * Makes the next `times` matching calls to `method` fail at the HTTP level (still recorded); other calls
   * get the built-in answer. Replaces any handler on `method`; `off(method)` or a new handler ends it.
   */
  failHttp(method: string, f: HttpFailure): this {
    let left = f.times ?? 1;
    const headers: Record<string, string> =
      f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {};
    return this.on(method, (body) => {
      if (left <= 0 || !(f.match?.(body) ?? true)) return undefined;
      left--;
      return httpReply(f.status, headers);
    });
  }

  off(method: string): this {
    this.handlers.delete(method);
    return this;
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves once `predicate` holds over the recorded calls (handlers work after the ack). */
  async waitFor(
    predicate: (calls: RecordedCall[]) => boolean,
    timeoutMs = 10_000,
    what = 'fake Slack calls',
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.calls)) {
      if (Date.now() > deadline) {
        const seen = this.calls.map((c) => c.method).join(', ');
        throw new Error(`timed out waiting for ${what}; calls so far: ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async waitForCall(method: string, match: (c: RecordedCall) => boolean = () => true, timeoutMs = 10_000) {
    await this.waitFor((cs) => cs.some((c) => c.method === method && match(c)), timeoutMs, method);
    return this.calls.find((c) => c.method === method && match(c)) as RecordedCall;
  }

  reset(): void {
    this.calls.length = 0;
    this.uploads.clear();
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body, headers }) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, error: 'fake_slack_error', detail: err.message }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async handle(
    req: IncomingMessage,
  ): Promise<{ status: number; body: Record<string, unknown>; headers?: Record<string, string> }> {
    const raw = await readAll(req);
    const path = (req.url ?? '/').split('?')[0] as string;
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (path.startsWith('/upload/')) {
      const fileId = path.slice('/upload/'.length);
      this.uploads.set(fileId, fileBytes(raw, req.headers['content-type']));
      this.calls.push({
        method: 'files.upload',
        body: { file_id: fileId, bytes: raw.length },
        token,
        at: Date.now(),
        path,
      });
      return { status: 200, body: { ok: true } };
    }
    if (path.startsWith('/response/')) {
      const body = parseBody(raw.toString('utf8'), req.headers['content-type']);
      this.calls.push({ method: 'response_url', body, token, at: Date.now(), path });
      return { status: 200, body: { ok: true } };
    }
    const method = path.replace(/^\/api\//, '');
    const body = parseBody(raw.toString('utf8'), req.headers['content-type']);
    if (typeof body.token === 'string' && !token) delete body.token;
    const call: RecordedCall = { method, body, token, at: Date.now() };
    this.calls.push(call);
    const custom = await this.handlers.get(method)?.(body, call);
    if (custom instanceof HttpReply)
      return { status: custom.status, body: custom.body, headers: custom.headers };
    return { status: 200, body: custom ?? this.builtin(method, body) };
  }

  private builtin(method: string, b: Record<string, unknown>): Record<string, unknown> {
    const s = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : '');
    const ts = () => `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEAM', team: 'Test', url: this.url };
      case 'users.info': {
        const u = this.users.get(s('user'));
        if (!u) return { ok: false, error: 'user_not_found' };
        return { ok: true, user: this.userJson(u) };
      }
      case 'users.list': {
        // Paged as Slack pages it: `limit` per page, the next page's cursor in response_metadata.
        const all = [...this.users.values()];
        const limit = Number(b.limit) > 0 ? Number(b.limit) : 100;
        const start = Number(s('cursor') || '0');
        const next = start + limit < all.length ? String(start + limit) : '';
        return {
          ok: true,
          members: all.slice(start, start + limit).map((u) => this.userJson(u)),
          response_metadata: { next_cursor: next },
        };
      }
      case 'users.lookupByEmail': {
        const u = [...this.users.values()].find((x) => x.email?.toLowerCase() === s('email').toLowerCase());
        if (!u) return { ok: false, error: 'users_not_found' };
        return { ok: true, user: this.userJson(u) };
      }
      case 'conversations.open': {
        const users = s('users');
        return { ok: true, channel: { id: `D${users.replace(/,/g, '')}` } };
      }
      case 'chat.postMessage':
        return { ok: true, channel: s('channel'), ts: ts(), message: { text: s('text') } };
      case 'chat.update':
        return { ok: true, channel: s('channel'), ts: s('ts') };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts() };
      case 'views.open':
      case 'views.update':
      case 'views.push':
      case 'views.publish': {
        const view = (b.view ?? {}) as Record<string, unknown>;
        return { ok: true, view: { id: s('view_id') || `V${++this.seq}`, hash: `h${this.seq}`, ...view } };
      }
      case 'usergroups.users.list': {
        const members = this.usergroups.get(s('usergroup'));
        if (!members) return { ok: false, error: 'no_such_subteam' };
        return { ok: true, users: members };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${++this.seq}`;
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (Array.isArray(b.files) ? b.files : []) as { id: string; title?: string }[];
        for (const f of files) this.files.add(f.id);
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title ?? '' })) };
      }
      case 'files.delete': {
        const existed = this.files.delete(s('file'));
        return existed ? { ok: true } : { ok: false, error: 'file_not_found' };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private userJson(u: FakeUser): Record<string, unknown> {
    return {
      id: u.id,
      name: u.name,
      real_name: u.real_name ?? u.name,
      deleted: u.deleted ?? false,
      is_bot: u.is_bot ?? false,
      profile: { email: u.email, real_name: u.real_name ?? u.name, display_name: u.name },
    };
  }
}

export async function startFakeSlack(): Promise<FakeSlack> {
  return new FakeSlack().start();
}
