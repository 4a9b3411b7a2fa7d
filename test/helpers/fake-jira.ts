import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small Jira Cloud REST v3 stand-in on a free local port: POST/GET /rest/api/3/search/jql (a subset of JQL:
 * `project = "X" AND labels in ("a", …) AND statusCategory != Done`), POST /rest/api/3/issue, and GET/POST
 * /rest/api/3/issue/{key}/transitions (To Do, Done by default; a comment in `update` is kept). It checks
 * Basic auth on every request (401 otherwise) and records each request so tests assert what was sent.
 */

export interface FakeIssue {
  id: string;
  key: string;
  fields: Record<string, unknown> & { labels: string[]; summary: string };
  statusCategory: 'new' | 'indeterminate' | 'done';
  /** ADF bodies added with a transition. */
  comments: unknown[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  auth: string | undefined;
  body: Record<string, unknown> | undefined;
}

export interface FakeJira {
  url: string;
  issues: FakeIssue[];
  requests: RecordedRequest[];
  /** Marks an issue Done, as closing a ticket in Jira would. */
  close(key: string): void;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c: Buffer) => {
      data += c.toString();
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** Evaluates the JQL subset the integration sends; anything else is a 400, so a drift in the query shows. */
function matcher(jql: string): ((i: FakeIssue) => boolean) | undefined {
  const m = /^project = "([^"]+)" AND labels in \(([^)]*)\)( AND statusCategory != Done)?$/.exec(jql.trim());
  if (!m) return undefined;
  const project = m[1];
  const labels = new Set([...(m[2] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]));
  const openOnly = Boolean(m[3]);
  return (i) =>
    i.key.startsWith(`${project}-`) &&
    i.fields.labels.some((l) => labels.has(l)) &&
    (!openOnly || i.statusCategory !== 'done');
}

export async function startFakeJira(opts: {
  email: string;
  apiToken: string;
  pageSize?: number;
  /**
   * The workflow's transitions out of any status (default: To Do 11, Done 31). A project whose Done is
   * called "Closed" with another id shows whether the integration looks the transition up.
   */
  transitions?: { id: string; name: string; category: FakeIssue['statusCategory'] }[];
}): Promise<FakeJira> {
  const workflow = opts.transitions ?? [
    { id: '11', name: 'To Do', category: 'new' as const },
    { id: '31', name: 'Done', category: 'done' as const },
  ];
  const expectedAuth = `Basic ${Buffer.from(`${opts.email}:${opts.apiToken}`).toString('base64')}`;
  const issues: FakeIssue[] = [];
  const requests: RecordedRequest[] = [];
  const pageSize = opts.pageSize ?? 50;
  let seq = 0;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      auth: req.headers.authorization,
      body,
    });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.headers.authorization !== expectedAuth) return send(401, { errorMessages: ['unauthorized'] });

    if (url.pathname === '/rest/api/3/search/jql') {
      const jql = String(body?.jql ?? url.searchParams.get('jql') ?? '');
      const match = matcher(jql);
      if (!match) return send(400, { errorMessages: [`fake-jira: unsupported JQL: ${jql}`] });
      const all = issues.filter(match);
      const start = Number(body?.nextPageToken ?? url.searchParams.get('nextPageToken') ?? 0);
      const max = Math.min(Number(body?.maxResults ?? pageSize), pageSize);
      const page = all.slice(start, start + max);
      return send(200, {
        issues: page.map((i) => ({
          id: i.id,
          key: i.key,
          fields: { labels: i.fields.labels, summary: i.fields.summary },
        })),
        ...(start + max < all.length ? { nextPageToken: String(start + max) } : {}),
      });
    }
    if (url.pathname === '/rest/api/3/issue' && req.method === 'POST') {
      const fields = (body?.fields ?? {}) as FakeIssue['fields'] & { project?: { key?: string } };
      if (!fields.summary || !fields.project?.key) return send(400, { errors: { summary: 'required' } });
      seq++;
      const issue: FakeIssue = {
        id: String(10_000 + seq),
        key: `${fields.project.key}-${seq}`,
        fields: { ...fields, labels: fields.labels ?? [] },
        statusCategory: 'new',
        comments: [],
      };
      issues.push(issue);
      return send(201, { id: issue.id, key: issue.key, self: `${url.origin}/rest/api/3/issue/${issue.id}` });
    }
    const transitions = /^\/rest\/api\/3\/issue\/([^/]+)\/transitions$/.exec(url.pathname);
    if (transitions) {
      const issue = issues.find((i) => i.key === transitions[1] || i.id === transitions[1]);
      if (!issue) return send(404, { errorMessages: ['Issue does not exist'] });
      if (req.method === 'GET') {
        return send(200, {
          transitions: workflow.map((t) => ({
            id: t.id,
            name: t.name,
            to: { statusCategory: { key: t.category } },
          })),
        });
      }
      const id = (body?.transition as { id?: string } | undefined)?.id;
      const to = workflow.find((t) => t.id === id);
      if (!to) return send(400, { errorMessages: [`fake-jira: unknown transition ${id}`] });
      issue.statusCategory = to.category;
      const comment = (body?.update as { comment?: { add?: { body?: unknown } }[] } | undefined)?.comment?.[0]
        ?.add?.body;
      if (comment) issue.comments.push(comment);
      res.writeHead(204);
      res.end();
      return;
    }
    return send(404, { errorMessages: [`fake-jira: no route ${req.method} ${url.pathname}`] });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    issues,
    requests,
    close(key) {
      const i = issues.find((x) => x.key === key);
      if (i) i.statusCategory = 'done';
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
