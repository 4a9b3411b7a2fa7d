import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import {
  cfnValue,
  placeholders,
  policyFiles,
  README,
  README_EXAMPLES,
  readPolicy,
  renderAll,
  staleFiles,
  substitute,
  TEMPLATES,
} from '../../scripts/render-deploy.js';

/**
 * One source of truth: the policy documents in deploy/policies/ are what both CloudFormation templates and
 * the README show, byte for byte as `npm run deploy:render` writes them.
 */

const PSEUDO = new Set(['AWS::Partition', 'AWS::AccountId', 'AWS::Region']);
let scratch: string | undefined;

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A copy of the files the renderer reads, to edit without touching the tree. */
function copyTree(): string {
  scratch = mkdtempSync(join(tmpdir(), 'aws-user-render-'));
  cpSync('deploy', join(scratch, 'deploy'), { recursive: true });
  cpSync(README, join(scratch, README));
  return scratch;
}

/** The template's Parameters, read with CloudFormation's short-form tags left as they are. */
function parameters(file: string): Set<string> {
  const doc = parseDocument(readFileSync(file, 'utf8'), {
    customTags: ['!Ref', '!Sub', '!GetAtt', '!If', '!Equals', '!Not', '!Select', '!Split'].map((tag) => ({
      tag,
      resolve: (v: string) => v,
    })),
  });
  return new Set(Object.keys((doc.toJS() as { Parameters?: object }).Parameters ?? {}));
}

describe('deploy/policies: the one source of the policy documents', () => {
  it('the templates and the README are exactly what the policies render to', () => {
    expect(staleFiles(), 'stale rendered policy blocks: run npm run deploy:render').toEqual([]);
  });

  it('notices an edited policy that was not rendered again, in every file that shows it', () => {
    const root = copyTree();
    const file = join(root, 'deploy/policies/manage-iam-users.json');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('"iam:GetUser",', '"iam:GetUser", "iam:GetGroup",'),
    );
    expect(staleFiles(root).sort()).toEqual([README, ...TEMPLATES].sort());
    // And a hand edit inside a rendered block of a template.
    const fresh = copyTree();
    const home = join(fresh, TEMPLATES[0] as string);
    writeFileSync(home, readFileSync(home, 'utf8').replace('- iam:DeleteUser\n', ''));
    expect(staleFiles(fresh)).toEqual([TEMPLATES[0]]);
  });

  it('every policy file is rendered into a template, and every template block names a policy file', () => {
    const rendered = [...renderAll().entries()].filter(([f]) => f !== README).map(([, text]) => text);
    for (const file of policyFiles()) {
      expect(
        rendered.some((t) => t.includes(`# render ${file} as `)),
        `${file} is in no template`,
      ).toBe(true);
    }
    const named = rendered.flatMap((t) => [...t.matchAll(/# render (\S+) as /g)].map((m) => m[1]));
    expect(new Set(named)).toEqual(new Set(policyFiles()));
  });

  it('every placeholder a policy uses is a pseudo parameter or a parameter of each template that renders it, with a README example', () => {
    for (const template of TEMPLATES) {
      const params = parameters(template);
      const text = readFileSync(template, 'utf8');
      for (const [, file] of text.matchAll(/# render (\S+) as /g)) {
        for (const name of placeholders(readPolicy(file as string))) {
          expect(
            PSEUDO.has(name) || params.has(name),
            `${file} uses \${${name}}, which ${template} lacks`,
          ).toBe(true);
          expect(README_EXAMPLES[name], `no README example for \${${name}}`).toBeDefined();
        }
      }
    }
  });

  it("each role's inline policies fit IAM's 10,240-character quota for a role (moto does not enforce it)", () => {
    // IAM counts the policies' characters without whitespace, summed over every inline policy of the role.
    const size = (file: string) =>
      JSON.stringify(substitute(readPolicy(file), README_EXAMPLES)).replace(/\s/g, '').length;
    for (const template of TEMPLATES) {
      const text = readFileSync(template, 'utf8');
      const permissions = [...text.matchAll(/# render (\S+) as PolicyDocument/g)].map((m) => m[1] as string);
      expect(permissions.length).toBeGreaterThan(0);
      const total = permissions.reduce((n, f) => n + size(f), 0);
      expect(total, `${template}: ${total} characters of inline policy`).toBeLessThanOrEqual(10_240);
    }
  });

  it('a string naming a parameter becomes Fn::Sub, and a document with one in a key becomes one Fn::Sub of its JSON', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not JavaScript's
    const arn = 'arn:${AWS::Partition}:iam::*:role/x';
    expect(cfnValue({ Resource: arn, Action: 'sts:AssumeRole' })).toEqual({
      Resource: { 'Fn::Sub': arn },
      Action: 'sts:AssumeRole',
    });
    const keyed = { Condition: { StringEquals: { '${Issuer}:aud': 'sts.amazonaws.com' } } };
    expect(cfnValue(keyed)).toEqual({ 'Fn::Sub': JSON.stringify(keyed, null, 2) });
  });
});
