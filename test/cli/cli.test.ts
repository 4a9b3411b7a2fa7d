import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('aws-user CLI', () => {
  it('lists templates as JSON', async () => {
    const r = await runCli(['--config', 'config.example.yml', '--json', 'templates'], { env: {} });
    expect(r.code).toBe(0);
    expect(r.json<{ templates: { name: string }[] }>().templates.map((t) => t.name)).toContain('developer');
  });

  it('exits 2 on an unknown command', async () => {
    const r = await runCli(['frobnicate'], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });

  it('exits 2 with the file and field on a bad config', async () => {
    const r = await runCli(['--config', 'does-not-exist.yml', 'templates'], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does-not-exist.yml/);
  });

  it('exits 0 on --help', async () => {
    const r = await runCli(['--help'], { env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: aws-user/);
  });
});
