import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { expectAligned } from '../helpers/text-columns.js';

function configWithTemplates(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aws-user-templates-'));
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      templates: {
        developer: { description: 'Engineers', groups: ['Developers', 'ReadOnly'] },
        'finance-analyst': {
          description: 'Comptabilité 日本支社',
          groups: ['Finance'],
          approvals_required: 2,
        },
        [`${'t'.repeat(60)}-ops`]: { description: 'A very long template name', groups: [] },
      },
    }),
  );
  return path;
}

describe('aws-user templates', () => {
  it('prints an aligned table with every template name, its groups and description', async () => {
    const r = await runCli(['--config', configWithTemplates(), 'templates'], { env: {} });
    expect(r.code).toBe(0);
    expectAligned(r.stdout, 'Template', 3);
    expect(r.stdout).toMatch(/\ndeveloper +Developers,ReadOnly +1 +Engineers\n/);
    expect(r.stdout).toMatch(/\nfinance-analyst +Finance +2 +Comptabilité 日本支社\n/);
    expect(r.stdout).toContain(`${'t'.repeat(60)}-ops`);
    expect(r.stderr).toBe('');
  });

  it('keeps --json a plain document', async () => {
    const r = await runCli(['--config', configWithTemplates(), '--json', 'templates'], { env: {} });
    expect(r.json<{ templates: { name: string }[] }>().templates.map((t) => t.name)).toHaveLength(3);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });
});
