import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  type Json,
  policyFiles,
  README_EXAMPLES,
  readPolicy,
  substitute,
} from '../../scripts/render-deploy.js';

/**
 * Least privilege, proven both ways, for the policy documents in deploy/policies/:
 * - every IAM, STS, Organizations, sso-admin and identitystore operation the code can send (the SDK
 *   `*Command` classes and `paginate*` helpers src/ imports) is allowed, on the resource type AWS authorizes
 *   it against;
 * - every action in the documents is a real operation of that service's SDK client, and one the code sends;
 * - no wildcard actions, and `"Resource": "*"` only for actions that have no resource type.
 *
 * Resource types come from the Service Authorization Reference as cfn-lint ships it (the linter moto's
 * ValidateTemplate runs, installed with moto[server]).
 */

/** The SDK client package of each IAM service prefix. sso-admin's actions are `sso:`. */
const CLIENTS: Record<string, string> = {
  iam: '@aws-sdk/client-iam',
  sts: '@aws-sdk/client-sts',
  organizations: '@aws-sdk/client-organizations',
  sso: '@aws-sdk/client-sso-admin',
  identitystore: '@aws-sdk/client-identitystore',
};
const PREFIX_OF = Object.fromEntries(Object.entries(CLIENTS).map(([p, pkg]) => [pkg, p]));

/** "No permissions are required to perform this operation" (STS API reference, GetCallerIdentity). */
const NEEDS_NO_PERMISSION = new Set(['sts:GetCallerIdentity']);

/**
 * Actions AWS authorizes besides the operation's own, for what the code passes: tags on create are
 * authorized as the tagging action too (IAM User Guide, "Permissions required for tagging IAM resources").
 * src/core/templates.ts creates users with Tags; src/core/mfa.ts creates virtual MFA devices with Tags.
 */
const ALSO_AUTHORIZED: Record<string, string[]> = {
  'iam:CreateUser': ['iam:TagUser'],
  'iam:CreateVirtualMFADevice': ['iam:TagMFADevice'],
};

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface Usage {
  actions: Map<string, string[]>;
  /** Imports the collection cannot see through, which would hide operations. */
  opaque: string[];
}

/** The operations a source tree can send, from its value imports of the AWS SDK clients. */
function sentOperations(files: { path: string; text: string }[]): Usage {
  const actions = new Map<string, string[]>();
  const opaque: string[] = [];
  const add = (action: string, where: string) => actions.set(action, [...(actions.get(action) ?? []), where]);
  for (const { path, text } of files) {
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        if (arg && ts.isStringLiteral(arg) && PREFIX_OF[arg.text])
          opaque.push(`${path}: import('${arg.text}')`);
      }
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
        const pkg = (node.moduleSpecifier as ts.StringLiteral).text;
        const prefix = PREFIX_OF[pkg];
        if (prefix) {
          const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly : node.isTypeOnly;
          const bindings = ts.isImportDeclaration(node)
            ? node.importClause?.namedBindings
            : node.exportClause;
          if (!typeOnly) {
            if (!bindings || ts.isNamespaceImport(bindings) || ts.isNamespaceExport(bindings)) {
              opaque.push(`${path}: a namespace or bare import of ${pkg}`);
            } else {
              for (const el of bindings.elements) {
                if (el.isTypeOnly) continue;
                const name = (el.propertyName ?? el.name).text;
                if (name.endsWith('Command')) add(`${prefix}:${name.slice(0, -'Command'.length)}`, path);
                else if (name.startsWith('paginate')) add(`${prefix}:${name.slice('paginate'.length)}`, path);
                // The aggregated clients (IAM, STS…) send any operation by method name: not enumerable.
                else if (CLIENT_CLASSES.has(name)) opaque.push(`${path}: the aggregated client ${name}`);
                else if (name.startsWith('waitUntil') || name.startsWith('waitFor'))
                  opaque.push(`${path}: the waiter ${name}`);
              }
            }
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { actions, opaque };
}

const CLIENT_CLASSES = new Set(['IAM', 'STS', 'Organizations', 'SSOAdmin', 'Identitystore']);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** The permission policies (trust policies have a Principal), with every `${Name}` given a concrete value. */
function permissionStatements(): { file: string; statement: Statement }[] {
  return policyFiles().flatMap((file) => {
    const doc = readPolicy(file) as unknown as { Statement: Statement[] };
    if (doc.Statement.some((s) => s.Principal !== undefined)) return [];
    const concrete = substitute(doc as unknown as Json, README_EXAMPLES) as unknown as {
      Statement: Statement[];
    };
    return concrete.Statement.map((statement) => ({ file, statement }));
  });
}

interface ServiceData {
  Actions: Record<string, { Resources?: string[] }>;
  Resources: Record<string, { ARNFormats: string[] }>;
}

/** The Service Authorization Reference as cfn-lint ships it (lower-case action names). */
function authorizationReference(): Record<string, ServiceData> {
  let dir: string;
  try {
    dir = execFileSync('python3', ['-c', 'import cfnlint, os; print(os.path.dirname(cfnlint.__file__))'], {
      encoding: 'utf8',
    }).trim();
  } catch (err) {
    throw new Error(
      `cfn-lint is not installed for python3 (it comes with pip install 'moto[server]==5.2.1'): ${(err as Error).message}`,
    );
  }
  return JSON.parse(readFileSync(join(dir, 'data/AdditionalSpecs/Policies.json'), 'utf8'));
}

function arnPattern(format: string): RegExp {
  const re = format
    .replace(/\$\{Partition\}/g, 'aws')
    .replace(/\$\{Account\}/g, '(\\d{12}|\\*|aws)')
    .replace(/\$\{[A-Za-z]+\}/g, '[^:]+');
  return new RegExp(`^${re}$`);
}

/** What is wrong with the documents for the code's operations; empty when they are least privilege. */
function leastPrivilegeProblems(
  used: Set<string>,
  statements: { file: string; statement: Statement }[],
  sdk: Record<string, Set<string>>,
  reference: Record<string, ServiceData>,
): string[] {
  const problems: string[] = [];
  const needed = new Set([...used].filter((a) => !NEEDS_NO_PERMISSION.has(a)));
  for (const a of [...needed]) for (const extra of ALSO_AUTHORIZED[a] ?? []) needed.add(extra);
  const allows = new Map<string, { file: string; resources: string[] }[]>();
  /** Allowed on a resource that AWS authorizes the action against. */
  const effective = new Set<string>();
  for (const { file, statement } of statements) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of list(statement.Action)) {
      if (action.includes('*') || action.includes('?')) problems.push(`${file}: wildcard action ${action}`);
      allows.set(action, [...(allows.get(action) ?? []), { file, resources: list(statement.Resource) }]);
    }
  }
  for (const [action, grants] of allows) {
    const [prefix = '', op = ''] = action.split(':');
    const files = [...new Set(grants.map((g) => g.file))].join(', ');
    if (!sdk[prefix]?.has(op)) {
      problems.push(`${files}: ${action} is no operation of ${CLIENTS[prefix] ?? `a client for ${prefix}`}`);
      continue;
    }
    if (NEEDS_NO_PERMISSION.has(action)) {
      problems.push(`${files}: ${action} needs no permission; drop it`);
      continue;
    }
    if (!needed.has(action)) problems.push(`${files}: ${action} is allowed but the code never sends it`);
    const entry = reference[prefix]?.Actions[op.toLowerCase()];
    if (!entry) {
      problems.push(`${files}: ${action} is not in the Service Authorization Reference`);
      continue;
    }
    const types = entry.Resources ?? [];
    const formats = types
      .flatMap((t) => reference[prefix]?.Resources[t.toLowerCase()]?.ARNFormats ?? [])
      .map(arnPattern);
    for (const { file, resources } of grants) {
      for (const r of resources) {
        if (r === '*' && types.length > 0)
          problems.push(
            `${file}: ${action} is allowed on "*"; AWS authorizes it on ${types.join(' or ')}: name those`,
          );
        else if (r !== '*' && types.length === 0)
          problems.push(`${file}: ${action} has no resource type; only "Resource": "*" grants it, not ${r}`);
        else if (r !== '*' && !formats.some((f) => f.test(r)))
          problems.push(
            `${file}: ${action} is authorized on ${types.join(' or ')}, so ${r} grants it nothing`,
          );
        else effective.add(action);
      }
    }
  }
  for (const action of [...needed].sort()) {
    if (!effective.has(action)) problems.push(`the code sends ${action} but no policy allows it`);
  }
  return problems;
}

/** Each prefix's operations, from the `*Command` classes its SDK client exports (when it is installed). */
async function sdkOperations(prefixes: Iterable<string>): Promise<Record<string, Set<string>>> {
  const out: Record<string, Set<string>> = {};
  for (const prefix of new Set(prefixes)) {
    const pkg = CLIENTS[prefix];
    if (!pkg) continue;
    try {
      const mod = (await import(pkg)) as Record<string, unknown>;
      out[prefix] = new Set(
        Object.keys(mod)
          .filter((k) => k.endsWith('Command') && typeof mod[k] === 'function')
          .map((k) => k.slice(0, -'Command'.length)),
      );
    } catch {
      out[prefix] = new Set();
    }
  }
  return out;
}

describe('least privilege: the policy documents and the operations the code sends', () => {
  const files = walk('src').map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const usage = sentOperations(files);
  const statements = permissionStatements();
  const reference = authorizationReference();

  it('sees every operation: no namespace import, aggregated client, waiter or dynamic import hides one', () => {
    expect(usage.opaque).toEqual([]);
    // The collection itself: a handful the code is known to send.
    for (const a of ['iam:CreateUser', 'iam:ListAccessKeys', 'sts:AssumeRole', 'iam:GetCredentialReport'])
      expect(usage.actions.has(a), a).toBe(true);
  });

  it('allows every operation the code sends on its resource type, and nothing else', async () => {
    const prefixes = [
      ...[...usage.actions.keys()].map((a) => a.split(':')[0] as string),
      ...statements.flatMap(({ statement }) => list(statement.Action).map((a) => a.split(':')[0] as string)),
    ];
    const sdk = await sdkOperations(prefixes);
    expect(leastPrivilegeProblems(new Set(usage.actions.keys()), statements, sdk, reference)).toEqual([]);
  });

  it('finds each kind of mistake (checked on edited copies of the documents)', async () => {
    const used = new Set(usage.actions.keys());
    const sdk = await sdkOperations(Object.keys(CLIENTS));
    const edit = (f: (s: Statement[]) => void) => {
      const copy = structuredClone(statements);
      f(copy.map((c) => c.statement));
      return leastPrivilegeProblems(used, copy, sdk, reference);
    };
    const find = (sid: string) => (s: Statement[]) =>
      s.find((x) => (x as { Sid?: string }).Sid === sid) as Statement;
    // The README's policy before deploy/ existed allowed group membership on user/*, which AWS ignores.
    expect(
      edit((s) => {
        find('GroupMembership')(s).Action = ['iam:GetGroup', 'iam:RemoveUserFromGroup'];
        list(find('ProvisionAndRetireUsers')(s).Action).push('iam:AddUserToGroup');
      }),
    ).toEqual([
      expect.stringContaining(
        'iam:AddUserToGroup is authorized on group, so arn:aws:iam::111111111111:user/* grants it nothing',
      ),
      'the code sends iam:AddUserToGroup but no policy allows it',
    ]);
    // …and two actions nothing sends.
    expect(
      edit((s) => {
        (find('ProvisionAndRetireUsers')(s).Action as string[]).push(
          'iam:ListUsers',
          'iam:GetAccessKeyLastUsed',
        );
      }),
    ).toEqual([
      expect.stringContaining('iam:ListUsers is allowed but the code never sends it'),
      expect.stringContaining('iam:ListUsers has no resource type; only "Resource": "*" grants it'),
      expect.stringContaining('iam:GetAccessKeyLastUsed is allowed but the code never sends it'),
    ]);
    expect(
      edit((s) => {
        find('AccountWideReadsAndPasswordPolicy')(s).Action = 'iam:*';
      }),
    ).toEqual(expect.arrayContaining([expect.stringContaining('wildcard action iam:*')]));
    expect(
      edit((s) => {
        find('GroupMembership')(s).Resource = '*';
      }),
    ).toEqual([
      expect.stringContaining('iam:GetGroup is allowed on "*"'),
      expect.stringContaining('iam:AddUserToGroup is allowed on "*"'),
      expect.stringContaining('iam:RemoveUserFromGroup is allowed on "*"'),
      'the code sends iam:AddUserToGroup but no policy allows it',
      'the code sends iam:GetGroup but no policy allows it',
      'the code sends iam:RemoveUserFromGroup but no policy allows it',
    ]);
    expect(
      edit((s) => {
        (find('ProvisionAndRetireUsers')(s).Action as string[]).push(
          'iam:FrobnicateUser',
          'sts:GetCallerIdentity',
        );
      }),
    ).toEqual([
      expect.stringContaining('iam:FrobnicateUser is no operation of @aws-sdk/client-iam'),
      expect.stringContaining('sts:GetCallerIdentity needs no permission'),
    ]);
    expect(
      edit((s) => {
        find('VirtualMfaDevices')(s).Action = [
          'iam:CreateVirtualMFADevice',
          'iam:ListMFADeviceTags',
          'iam:DeleteVirtualMFADevice',
        ];
      }),
    ).toEqual(['the code sends iam:TagMFADevice but no policy allows it']);
  });

  it('collects value imports of Commands and paginators, and flags what would hide operations', () => {
    const usage = sentOperations([
      {
        path: 'a.ts',
        text: [
          "import { GetUserCommand, paginateListUsers, type ListRolesCommand, IAMClient } from '@aws-sdk/client-iam';",
          "import type { DeleteUserCommand } from '@aws-sdk/client-iam';",
          "import { ListAccountsCommand as LA } from '@aws-sdk/client-organizations';",
          "import * as sts from '@aws-sdk/client-sts';",
          "import { IAM } from '@aws-sdk/client-iam';",
          "const m = await import('@aws-sdk/client-sso-admin');",
        ].join('\n'),
      },
    ]);
    expect([...usage.actions.keys()].sort()).toEqual([
      'iam:GetUser',
      'iam:ListUsers',
      'organizations:ListAccounts',
    ]);
    expect(usage.opaque).toEqual([
      'a.ts: a namespace or bare import of @aws-sdk/client-sts',
      'a.ts: the aggregated client IAM',
      "a.ts: import('@aws-sdk/client-sso-admin')",
    ]);
  });
});
