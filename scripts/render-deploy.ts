/**
 * The bot's IAM policy documents live in one place, deploy/policies/*.json. This renders them into the two
 * CloudFormation templates and into the README, so the three never disagree:
 *
 *   npm run deploy:render            rewrites every rendered block
 *   npm run deploy:render -- --check lists the files whose blocks are stale, and exits 1
 *
 * (test/deploy/policies.test.ts runs the check inside `npm test`.)
 *
 * A document's strings may name template parameters and pseudo parameters as `${Name}`. In a template such a
 * string becomes `Fn::Sub`; a document with a `${…}` in a key (a condition key built from a parameter) becomes
 * one `Fn::Sub` of its JSON text, since CloudFormation evaluates no function in a key. In the README every
 * `${Name}` is replaced by an example value (README_EXAMPLES).
 *
 * Markers. In a template:   # render deploy/policies/x.json as <Key | item>  …  # end render
 * (`item` renders a sequence item, for a branch of Fn::If). In the README: <!-- render deploy/policies/x.json -->
 * … <!-- end render -->, with a ```json block between.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const POLICY_DIR = 'deploy/policies';
export const TEMPLATES = ['deploy/aws-user-home.yaml', 'deploy/aws-user-member.yaml'];
export const README = 'README.md';

/** What each `${Name}` reads as in the README's examples. */
export const README_EXAMPLES: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': '111111111111',
  'AWS::Region': 'eu-west-1',
  MemberRoleName: 'aws-user-bot',
  HomeRoleArn: 'arn:aws:iam::111111111111:role/aws-user-bot',
  ExternalId: 'aws-user-prod-7f3c',
  EksOidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
  EksNamespace: 'aws-user',
  EksServiceAccount: 'aws-user',
};

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const PLACEHOLDER = /\$\{([A-Za-z0-9:]+)\}/g;

export function readPolicy(file: string, root = '.'): Json {
  return JSON.parse(readFileSync(join(root, file), 'utf8')) as Json;
}

export function policyFiles(root = '.'): string[] {
  return readdirSync(join(root, POLICY_DIR))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => `${POLICY_DIR}/${f}`);
}

/** Every `${Name}` a document uses, in keys and values. */
export function placeholders(doc: Json): Set<string> {
  const found = new Set<string>();
  const text = JSON.stringify(doc);
  for (const m of text.matchAll(PLACEHOLDER)) found.add(m[1] as string);
  return found;
}

function keysHavePlaceholders(doc: Json): boolean {
  if (Array.isArray(doc)) return doc.some(keysHavePlaceholders);
  if (doc === null || typeof doc !== 'object') return false;
  return Object.entries(doc).some(([k, v]) => k.includes('${') || keysHavePlaceholders(v));
}

function subStrings(doc: Json): Json {
  if (typeof doc === 'string') return doc.includes('${') ? { 'Fn::Sub': doc } : doc;
  if (Array.isArray(doc)) return doc.map(subStrings);
  if (doc === null || typeof doc !== 'object') return doc;
  return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, subStrings(v)]));
}

/** The document as a CloudFormation value. */
export function cfnValue(doc: Json): Json {
  return keysHavePlaceholders(doc) ? { 'Fn::Sub': JSON.stringify(doc, null, 2) } : subStrings(doc);
}

/** The document with every `${Name}` replaced by `values[Name]`; an unknown name is an error. */
export function substitute(doc: Json, values: Record<string, string>): Json {
  const text = JSON.stringify(doc).replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for \${${name}}`);
    return value;
  });
  return JSON.parse(text) as Json;
}

const TEMPLATE_BLOCK = /^( *)# render (\S+) as (\S+)\n(?:.*\n)*?\1# end render$/gm;

function indent(text: string, pad: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

export function renderTemplate(text: string, root = '.'): string {
  return text.replace(TEMPLATE_BLOCK, (_all, pad: string, file: string, slot: string) => {
    const yaml = stringify(cfnValue(readPolicy(file, root)), { lineWidth: 0, indent: 2, version: '1.1' });
    const body =
      slot === 'item' ? indent(yaml, '  ').replace(/^ {2}/, '- ') : `${slot}:\n${indent(yaml, '  ')}`;
    return `${pad}# render ${file} as ${slot}\n${indent(body, pad)}\n${pad}# end render`;
  });
}

const README_BLOCK = /^<!-- render (\S+) -->\n(?:.*\n)*?<!-- end render -->$/gm;

export function renderReadme(text: string, root = '.'): string {
  return text.replace(README_BLOCK, (_all, file: string) => {
    const json = formatJson(substitute(readPolicy(file, root), README_EXAMPLES));
    return `<!-- render ${file} -->\n\`\`\`json\n${json}\n\`\`\`\n<!-- end render -->`;
  });
}

const WIDTH = 110;

function scalar(v: Json): boolean {
  return v === null || typeof v !== 'object';
}

function inline(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return JSON.stringify(v);
}

/** May sit on one line: a list of scalars, or a map of at most two scalars or lists of scalars. */
function small(v: Json): boolean {
  if (Array.isArray(v)) return v.every(scalar);
  if (v === null || typeof v !== 'object') return true;
  const values = Object.values(v);
  return values.length <= 2 && values.every((x) => scalar(x) || (Array.isArray(x) && x.every(scalar)));
}

/** JSON as a person writes it: small lists and maps on one line, long lists of strings packed to the width. */
export function formatJson(value: Json, pad = ''): string {
  const one = inline(value);
  if (small(value) && pad.length + one.length <= WIDTH) return one;
  const inner = `${pad}  `;
  if (Array.isArray(value)) {
    if (value.every(scalar)) {
      const lines: string[] = [];
      let line = '';
      for (const item of value.map((v) => JSON.stringify(v))) {
        const next = line ? `${line}, ${item}` : item;
        if (line && inner.length + next.length + 1 > WIDTH) {
          lines.push(`${line},`);
          line = item;
        } else {
          line = next;
        }
      }
      lines.push(line);
      return `[\n${lines.map((l) => inner + l).join('\n')}\n${pad}]`;
    }
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${pad}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(
      ([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`,
    );
    return `{\n${entries.join(',\n')}\n${pad}}`;
  }
  return one;
}

/** Every rendered file's expected text, by path. */
export function renderAll(root = '.'): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of TEMPLATES) out.set(file, renderTemplate(readFileSync(join(root, file), 'utf8'), root));
  out.set(README, renderReadme(readFileSync(join(root, README), 'utf8'), root));
  return out;
}

/** The files whose committed text differs from what the policies render to. */
export function staleFiles(root = '.'): string[] {
  return [...renderAll(root)]
    .filter(([f, text]) => readFileSync(join(root, f), 'utf8') !== text)
    .map(([f]) => f);
}

if (process.argv[1]?.endsWith('render-deploy.ts')) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length > 0) {
      process.stderr.write(`stale policy blocks in ${stale.join(', ')}: run npm run deploy:render\n`);
      process.exit(1);
    }
  } else {
    for (const [file, text] of renderAll()) writeFileSync(file, text);
  }
}
