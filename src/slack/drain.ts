/**
 * What the process is in the middle of: every request execution and job run enters here, so a shutdown
 * can stop new work and wait (bounded) for the work already started. One per app, like the ack gate.
 *
 * Shutdown order (main.ts): `close()` first, so nothing new starts, then the receiver and the jobs stop,
 * then `settle(ms)` waits for what is running. Work that outlives the bound is left to the recovery at
 * the next start (flows/requests/recover.ts), which finds its request still `approving`.
 */
/** The answer to a click or command that arrives while the bot shuts down: nothing was started. */
export const RESTARTING = 'The bot is restarting, so nothing was done: try again in a moment.';

export class Drain {
  private readonly running = new Map<number, string>();
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private seq = 0;

  get closing(): boolean {
    return this.closed;
  }

  /**
   * Registers one piece of work under `label` (a request id, a job name). Returns its release, to call in
   * a `finally`, or undefined once shutdown has begun: the caller must then not start the work.
   */
  enter(label: string): (() => void) | undefined {
    if (this.closed) return undefined;
    const id = ++this.seq;
    this.running.set(id, label);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running.delete(id);
      if (this.running.size === 0) for (const wake of this.waiters) wake();
    };
  }

  /** What is running now, by label. */
  inFlight(): string[] {
    return [...this.running.values()];
  }

  /** Stops admitting work; what already entered carries on. */
  close(): void {
    this.closed = true;
  }

  /** Waits until nothing is running, or `ms` at most. Returns what was still running at the bound. */
  async settle(ms: number): Promise<{ drained: boolean; left: string[] }> {
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      let wake: () => void = () => undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.waiters.add(wake);
        timer = setTimeout(resolve, ms);
      });
      this.waiters.delete(wake);
      clearTimeout(timer);
    }
    const left = this.inFlight();
    return { drained: left.length === 0, left };
  }
}
