/** Resolves after `ms` with `fallback`, so a slow dependency cannot push an ack past Slack's 3 s. */
export function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([p, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms).unref())]);
}
