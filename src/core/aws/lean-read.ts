import { StringDecoder } from 'node:string_decoder';
import type { UserDetail } from '@aws-sdk/client-iam';
import type { HttpResponse } from '@smithy/types';

/**
 * Lean reads for the two bulk responses of a scan (GetAccountAuthorizationDetails pages and the credential
 * report). The SDK's generic XML deserializer, plus its log filter that deep-copies every output, cost about
 * as much CPU as everything else in a scan put together (see BENCHMARKS.md): at 200 accounts × 5,000 users
 * it alone breaks the 20 s budget. So a command-level middleware, sitting between the SDK deserializer and
 * the HTTP handler, keeps the raw XML of a successful response and hands the deserializer a stub; we then
 * extract only the fields detection needs. Error responses are untouched, so the SDK still raises its
 * typed exceptions; when the middleware never ran (a stubbed client in tests) callers use the SDK output.
 */

interface StackLike {
  add(mw: unknown, opts: { step: 'deserialize'; priority: 'low'; name: string }): void;
}

export interface RawCapture {
  xml: string | undefined;
}

function collect(body: unknown): Promise<Buffer> {
  if (body instanceof Uint8Array) return Promise.resolve(Buffer.from(body));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = body as NodeJS.ReadableStream;
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Captures a 2xx body of `command` into the returned holder and replaces it with `stub` for the SDK. */
export function captureRawBody(command: { middlewareStack: unknown }, stub: string): RawCapture {
  const holder: RawCapture = { xml: undefined };
  const stubBytes = new TextEncoder().encode(stub);
  (command.middlewareStack as StackLike).add(
    (next: (a: unknown) => Promise<{ response: HttpResponse }>) => async (args: unknown) => {
      const out = await next(args);
      const res = out.response;
      if (res.statusCode >= 200 && res.statusCode < 300 && res.body) {
        holder.xml = (await collect(res.body)).toString('utf8');
        res.body = stubBytes;
      }
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'awsUserLeanRead' },
  );
  return holder;
}

/** A parser fed a response body piece by piece. */
export interface PieceParser<T> {
  feed(piece: string): void;
  end(): T;
}

/**
 * Like captureRawBody, but hands a 2xx body to a fresh `parser()` chunk by chunk as it arrives (decoded as
 * UTF-8 across chunk boundaries), so the body is never held whole: `result` is set once the body ended.
 */
export function captureParsedBody<T>(
  command: { middlewareStack: unknown },
  stub: string,
  parser: () => PieceParser<T>,
): { result: T | undefined } {
  const holder: { result: T | undefined } = { result: undefined };
  const stubBytes = new TextEncoder().encode(stub);
  (command.middlewareStack as StackLike).add(
    (next: (a: unknown) => Promise<{ response: HttpResponse }>) => async (args: unknown) => {
      const out = await next(args);
      const res = out.response;
      if (res.statusCode >= 200 && res.statusCode < 300 && res.body) {
        const p = parser(); // per attempt: a retried request starts clean
        const decoder = new StringDecoder('utf8');
        await forEachChunk(res.body, (c) => p.feed(decoder.write(c)));
        p.feed(decoder.end());
        holder.result = p.end();
        res.body = stubBytes;
      }
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'awsUserLeanParse' },
  );
  return holder;
}

function forEachChunk(body: unknown, onChunk: (c: Buffer) => void): Promise<void> {
  if (body instanceof Uint8Array) {
    onChunk(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const stream = body as NodeJS.ReadableStream;
    stream.on('data', onChunk);
    stream.on('end', resolve);
    stream.on('error', reject);
  });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXml(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });
}

export function xmlField(xml: string, tag: string): string | undefined {
  const open = `<${tag}>`;
  const i = xml.indexOf(open);
  if (i < 0) return undefined;
  const j = xml.indexOf(`</${tag}>`, i);
  return j < 0 ? undefined : decodeXml(xml.slice(i + open.length, j));
}

export interface LeanPage<U = UserDetail> {
  users: U[];
  isTruncated: boolean;
  marker: string | undefined;
}

const KNOWN = [
  'UserDetailList',
  'member',
  'UserName',
  'Arn',
  'GroupList',
  'Tags',
  'Key',
  'Value',
  'AttachedManagedPolicies',
  'PolicyArn',
  'UserPolicyList',
  'PolicyName',
  'IsTruncated',
  'Marker',
] as const;

const BY_LENGTH = new Map<number, string[]>();
for (const k of KNOWN) BY_LENGTH.set(k.length, [...(BY_LENGTH.get(k.length) ?? []), k]);

/** The element name as one of the constants above, or '?': no string is cut per element. */
function knownName(xml: string, from: number, to: number): string {
  const candidates = BY_LENGTH.get(to - from);
  if (candidates) for (const k of candidates) if (xml.startsWith(k, from)) return k;
  return '?';
}

type LeanUser = UserDetail &
  Required<Pick<UserDetail, 'GroupList' | 'Tags' | 'AttachedManagedPolicies' | 'UserPolicyList'>>;

/**
 * One GetAccountAuthorizationDetails page → users with UserName, Arn, Tags, GroupList,
 * AttachedManagedPolicies and UserPolicyList names (with `full` false: UserName, Arn and Tags only).
 * A hand-rolled scan over the string (indexOf, no regex match objects, text sliced only for wanted fields)
 * that tracks the element path rather than trusting field order; allocation, not parsing, is what costs
 * at a million users.
 */
export function parseAuthorizationDetailsPage(xml: string, full = true): LeanPage {
  const parser = new AuthorizationDetailsParser(full);
  parser.feed(xml);
  return parser.end();
}

/**
 * parseAuthorizationDetailsPage over a page that arrives in pieces (the HTTP body's chunks), so the page is
 * never one string: a 1,000-user page is ~600 KB, which V8 allocates straight into the old generation, and
 * two dozen accounts in flight made those strings a third of what the heap had to collect. Only an
 * unfinished element is carried over to the next piece. Any split gives the same result (tested).
 */
export class AuthorizationDetailsParser<U = UserDetail> {
  private readonly users: U[] = [];
  private readonly stack: string[] = [];
  private udl = -1; // stack depth of <UserDetailList>, -1 outside it
  private user: LeanUser | undefined;
  private tag: { Key?: string; Value?: string } | undefined;
  private isTruncated = false;
  private marker: string | undefined;
  /** The unfinished element (from its `<`) of the last piece. */
  private carry = '';

  /**
   * `reduce` turns each user into what the caller keeps, as soon as the user's element ends: the page's
   * UserDetail objects and the text they point into then die young instead of waiting for the last chunk.
   */
  constructor(
    private readonly full = true,
    private readonly reduce: (u: UserDetail) => U = (u) => u as U,
  ) {}

  feed(piece: string): void {
    const xml = this.carry === '' ? piece : this.carry + piece;
    this.carry = '';
    const { stack, full } = this;
    let i = xml.indexOf('<');
    while (i >= 0 && i < xml.length) {
      const close = xml.indexOf('>', i);
      if (close < 0) break;
      const c1 = xml.charCodeAt(i + 1);
      if (c1 === 63 /* ? */ || c1 === 33 /* ! */) {
        i = xml.indexOf('<', close);
        continue;
      }
      const selfClosing = xml.charCodeAt(close - 1) === 47; /* / */
      if (c1 === 47) {
        // </name>
        const name = stack.pop();
        if (name === 'UserDetailList') this.udl = -1;
        else if (name === 'member' && this.user && this.udl >= 0) {
          const depth = stack.length - this.udl; // after pop
          if (depth === 1) {
            this.users.push(this.reduce(this.user));
            this.user = undefined;
          } else if (depth === 3 && this.tag && stack[stack.length - 1] === 'Tags') {
            this.user.Tags.push({ Key: this.tag.Key, Value: this.tag.Value ?? '' });
            this.tag = undefined;
          }
        }
        i = xml.indexOf('<', close);
        continue;
      }
      if (selfClosing) {
        i = xml.indexOf('<', close);
        continue;
      }
      const next = xml.indexOf('<', close);
      // The element's text runs to the next tag, and whether it is text depends on that tag's `/`.
      if (next < 0 || next + 1 >= xml.length) break;
      let nameEnd = i + 1;
      while (nameEnd < close) {
        const c = xml.charCodeAt(nameEnd);
        if (c === 32 || c === 9 || c === 10 || c === 13) break;
        nameEnd++;
      }
      const name = knownName(xml, i + 1, nameEnd);
      stack.push(name);
      if (name === 'UserDetailList') this.udl = stack.length - 1;
      const udl = this.udl;
      const depth = udl >= 0 ? stack.length - 1 - udl : -1;
      if (name === 'member' && depth === 1)
        this.user = full
          ? { GroupList: [], Tags: [], AttachedManagedPolicies: [], UserPolicyList: [] }
          : ({ Tags: [] } as unknown as LeanUser);
      else if (name === 'member' && depth === 3 && stack[stack.length - 2] === 'Tags') this.tag = {};
      const { user, tag } = this;
      // Text directly inside this element, up to the next tag.
      if (next > close + 1 && xml.charCodeAt(next + 1) === 47) {
        const wanted =
          (user &&
            ((depth === 2 && (name === 'UserName' || name === 'Arn')) ||
              (full && depth === 3 && name === 'member' && stack[stack.length - 2] === 'GroupList') ||
              (depth === 4 &&
                ((tag && (name === 'Key' || name === 'Value')) ||
                  (full && name === 'PolicyArn') ||
                  (full && name === 'PolicyName' && stack[stack.length - 3] === 'UserPolicyList'))))) ||
          (!user && udl < 0 && (name === 'IsTruncated' || name === 'Marker'));
        if (wanted) {
          const text = decodeXml(xml.slice(close + 1, next));
          if (!user) {
            if (name === 'IsTruncated') this.isTruncated = text.trim() === 'true';
            else this.marker = text;
          } else if (depth === 2) {
            if (name === 'UserName') user.UserName = text;
            else user.Arn = text;
          } else if (depth === 3) user.GroupList.push(text);
          else if (tag && name === 'Key') tag.Key = text;
          else if (tag && name === 'Value') tag.Value = text;
          else if (name === 'PolicyArn' && stack[stack.length - 3] === 'AttachedManagedPolicies')
            user.AttachedManagedPolicies.push({ PolicyArn: text });
          else if (name === 'PolicyName') user.UserPolicyList.push({ PolicyName: text });
        }
      }
      i = next;
    }
    // An element not finished in this piece: read it again, whole, with the next one.
    if (i >= 0 && i < xml.length) this.carry = xml.slice(i);
  }

  end(): LeanPage<U> {
    const { isTruncated } = this;
    return { users: this.users, isTruncated, marker: isTruncated ? this.marker : undefined };
  }
}

export const GAAD_STUB =
  '<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetAccountAuthorizationDetailsResult><IsTruncated>false</IsTruncated></GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>lean</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>';

export const REPORT_STUB =
  '<GetCredentialReportResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetCredentialReportResult><ReportFormat>text/csv</ReportFormat></GetCredentialReportResult><ResponseMetadata><RequestId>lean</RequestId></ResponseMetadata></GetCredentialReportResponse>';
