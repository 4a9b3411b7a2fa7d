import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of moto that behaves like IAM under load: above `perSecond` requests in any
 * sliding second it answers IAM's Throttling error instead of forwarding. Counts what it forwards and
 * what it throttles, so benchmarks measure calls at the wire.
 */
export interface ThrottleProxy {
  endpoint: string;
  forwarded: number;
  throttled: number;
  reset(): void;
  close(): Promise<void>;
}

const throttleBody = (id: string) =>
  `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`;

export async function startThrottleProxy(target: string, perSecond = 20): Promise<ThrottleProxy> {
  const upstream = new URL(target);
  const recent: number[] = [];
  const state = { forwarded: 0, throttled: 0 };
  const server: Server = createServer((req, res) => {
    const now = performance.now();
    while (recent.length > 0 && (recent[0] as number) <= now - 1000) recent.shift();
    if (recent.length >= perSecond) {
      state.throttled++;
      const id = randomUUID();
      req.resume();
      res.writeHead(400, { 'content-type': 'text/xml', 'x-amzn-requestid': id });
      res.end(throttleBody(id));
      return;
    }
    recent.push(now);
    state.forwarded++;
    const fwd = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get forwarded() {
      return state.forwarded;
    },
    get throttled() {
      return state.throttled;
    },
    reset() {
      state.forwarded = 0;
      state.throttled = 0;
      recent.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } as ThrottleProxy;
}
