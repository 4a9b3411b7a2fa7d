import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const script = 'scripts/with-node.sh';

function withNode(...args: string[]) {
  return spawnSync('bash', [script, ...args], { encoding: 'utf8' });
}

/** The majors package.json's engines names, e.g. "20.x || 22.x || 26.x" → [20, 22, 26]. */
function engineMajors(): number[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
  return pkg.engines.node.split('||').map((range) => {
    const m = /^\s*(\d+)\.x\s*$/.exec(range);
    if (!m?.[1]) throw new Error(`engines.node range '${range}' is not a tested major (N.x)`);
    return Number(m[1]);
  });
}

describe('CI runs the suite on every Node line that engines names', () => {
  it('engines lists Node 20 (the machine default), 22 (the AWS SDK floor from 2027) and the newest LTS, 26', () => {
    expect(engineMajors()).toEqual([20, 22, 26]);
  });

  it('.ci/run runs the README test command, then the same npm test through with-node.sh on the other majors', () => {
    const run = readFileSync('.ci/run', 'utf8');
    const lines = run.split('\n').map((l) => l.trim());
    const ci = lines.indexOf('npm ci');
    const test = lines.indexOf('npm test');
    expect(ci).toBeGreaterThan(-1);
    expect(test).toBeGreaterThan(ci);
    const loop = /^for major in ([\d ]+); do$/.exec(lines.find((l) => l.startsWith('for major in')) ?? '');
    const others = (loop?.[1] ?? '').trim().split(/\s+/).map(Number);
    expect([20, ...others]).toEqual(engineMajors());
    expect(run).toContain('scripts/with-node.sh "$major" npm test');
  });

  it('with-node.sh pins an exact version of each of those majors', () => {
    for (const major of engineMajors().slice(1)) {
      const r = withNode('--pinned', String(major));
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`));
    }
  });

  it('with-node.sh refuses a major it has no pinned version for, before fetching anything', () => {
    const r = withNode('24', 'npm', 'test');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no pinned version for Node '24'");
  });
});
