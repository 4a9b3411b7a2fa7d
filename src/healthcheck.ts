import { parseEnv } from './config.js';
import { errorMessage } from './errors.js';

/**
 * The container's HEALTHCHECK: GET /healthz on this process's own PORT (both HTTP and Socket Mode serve it,
 * src/app.ts) and exit 0 on 200, 1 otherwise. The runtime image is node:*-slim, which has no curl or wget,
 * and node is what it does have. A probe that hangs must fail, not wait: Docker would then count the check
 * only when its own --timeout kills it.
 */
const PROBE_MS = 3_000;

async function probe(): Promise<number> {
  let url = 'http://127.0.0.1/healthz';
  try {
    url = `http://127.0.0.1:${parseEnv(process.env).port}/healthz`;
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_MS) });
    await res.body?.cancel();
    if (res.status === 200) return 0;
    process.stderr.write(`healthcheck: ${url} answered ${res.status}\n`);
  } catch (err) {
    // fetch says only "fetch failed"; the refused connection or the timeout is in its cause.
    const cause = err instanceof Error && err.cause !== undefined ? `: ${errorMessage(err.cause)}` : '';
    process.stderr.write(`healthcheck: ${url} failed: ${errorMessage(err)}${cause}\n`);
  }
  return 1;
}

process.exitCode = await probe();
