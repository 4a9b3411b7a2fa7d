import {
  applyRun,
  type FindingHistory,
  type FindingRecord,
  type RecordRunInput,
  type RecordRunResult,
  type ScanRun,
  type ScanSource,
} from '../core/detect/history.js';

/** The finding history for unit tests; the same contract as SQLite and Redis (finding-history.test.ts). */
export class MemoryFindingHistory implements FindingHistory {
  private readonly records = new Map<string, FindingRecord>();
  private readonly runList: { run: ScanRun; ids: string[] }[] = [];

  async open(accountId: string): Promise<FindingRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.status === 'OPEN' && r.finding.accountId === accountId)
      .map((r) => structuredClone(r));
  }

  async record(input: RecordRunInput): Promise<RecordRunResult> {
    const result = applyRun(
      input,
      (id) => this.records.get(id),
      (r) => this.records.set(r.finding.id, structuredClone(r)),
    );
    this.runList.push({ run: structuredClone(result.run), ids: input.findings.map((f) => f.id) });
    this.runList.sort((a, b) => (a.run.at < b.run.at ? -1 : a.run.at > b.run.at ? 1 : 0));
    return result;
  }

  async runs(opts: { limit: number; source?: ScanSource; before?: Date }): Promise<ScanRun[]> {
    const before = opts.before?.toISOString();
    return this.runList
      .filter((r) => (!opts.source || r.run.source === opts.source) && (!before || r.run.at < before))
      .reverse()
      .slice(0, opts.limit)
      .map((r) => structuredClone(r.run));
  }

  async runFindings(runId: string): Promise<string[]> {
    return [...(this.runList.find((r) => r.run.id === runId)?.ids ?? [])];
  }

  async resolvedSince(since: Date, accounts?: readonly string[]): Promise<FindingRecord[]> {
    const from = since.toISOString();
    return [...this.records.values()]
      .filter(
        (r) =>
          r.status === 'RESOLVED' &&
          (r.resolvedAt ?? '') >= from &&
          (!accounts || accounts.includes(r.finding.accountId)),
      )
      .sort((a, b) => ((a.resolvedAt ?? '') < (b.resolvedAt ?? '') ? 1 : -1))
      .map((r) => structuredClone(r));
  }

  async prune(before: Date): Promise<{ runs: number; findings: number }> {
    const cut = before.toISOString();
    let findings = 0;
    for (const [id, r] of this.records) {
      if ((r.status === 'RESOLVED' ? (r.resolvedAt ?? '') : r.lastSeen) < cut) {
        this.records.delete(id);
        findings++;
      }
    }
    const kept = this.runList.filter((r) => r.run.at >= cut);
    const runs = this.runList.length - kept.length;
    this.runList.splice(0, this.runList.length, ...kept);
    return { runs, findings };
  }
}
