/**
 * Acks first, follow-up work after: a burst of 50 clicks must not wait behind each other's Slack and IAM
 * calls. `afterAck()` (called right after ack()) resolves once no other ack has happened for `quietMs`, or
 * after `maxWaitMs` at most: well inside a trigger_id's 3 s, so views.open still works. One per app.
 */
export class FollowUpGate {
  private lastAck = 0;

  constructor(
    private readonly quietMs = 50,
    private readonly maxWaitMs = 500,
  ) {}

  async afterAck(): Promise<void> {
    const start = performance.now();
    this.lastAck = start;
    await new Promise((resolve) => setImmediate(resolve));
    while (performance.now() - this.lastAck < this.quietMs && performance.now() - start < this.maxWaitMs) {
      await new Promise((resolve) => setTimeout(resolve, this.quietMs));
    }
  }
}
