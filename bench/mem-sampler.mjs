/**
 * Preload for a bench child (`node --expose-gc --import ./bench/mem-sampler.mjs child.mjs …`): samples
 * process.memoryUsage() every 100 ms and, when the child is done, forces a GC and writes one JSON line to
 * stderr prefixed `MEM ` with the peaks (MB) and the live heap after the GC.
 */
const MB = 1024 * 1024;
const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
let peakAt = 0;
const t0 = Date.now();
const trace = process.env.MEM_TRACE ? [] : undefined;
const sample = () => {
  const m = process.memoryUsage();
  if (m.rss > peak.rss) peakAt = Date.now() - t0;
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  trace?.push([
    Date.now() - t0,
    Math.round(m.rss / MB),
    Math.round(m.heapUsed / MB),
    Math.round(m.heapTotal / MB),
    Math.round(m.external / MB),
  ]);
};
const timer = setInterval(sample, 100);
timer.unref();
process.once('beforeExit', async () => {
  sample();
  clearInterval(timer);
  globalThis.gc?.();
  globalThis.gc?.();
  const live = process.memoryUsage();
  if (process.env.MEM_SNAPSHOT) {
    const v8 = await import('node:v8');
    v8.writeHeapSnapshot(process.env.MEM_SNAPSHOT);
  }
  const out = {
    maxRss: process.resourceUsage().maxRSS / 1024,
    peakAt,
    ...Object.fromEntries(Object.entries(peak).map(([k, v]) => [`peak_${k}`, v / MB])),
    live_heap: live.heapUsed / MB,
    live_rss: live.rss / MB,
    live_external: live.external / MB,
  };
  process.stderr.write(`MEM ${JSON.stringify(out)}\n`);
  if (trace) process.stderr.write(`TRACE ${JSON.stringify(trace)}\n`);
});
