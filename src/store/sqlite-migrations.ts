import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';

/** Beside this module in src/ and in dist/ (npm run build copies them). */
export const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** `NNN-name.sql`, in version order; a gap or a duplicate is a packaging mistake, so it throws. */
export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => /^\d{3}-[\w-]+\.sql$/.test(f))
    .sort();
  return files.map((name, i) => {
    const version = Number(name.slice(0, 3));
    if (version !== i + 1) throw new Error(`sqlite migrations: expected version ${i + 1}, found ${name}`);
    return { version, name, sql: readFileSync(new URL(name, dir), 'utf8') };
  });
}

/**
 * Applies every migration newer than the file's `PRAGMA user_version`, each in its own IMMEDIATE
 * transaction together with the version bump, so a crash mid-migration leaves the previous version intact.
 * Returns the versions applied. A file from a newer release is refused rather than half understood.
 */
export function migrate(db: Database, migrations: Migration[] = loadMigrations()): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `the SQLite store ${db.name} is at schema version ${current}, newer than this release knows (${latest}); run the newer release or restore a matching backup`,
    );
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}

/** For a read-only open: the file must be exactly at this release's schema, since it cannot be migrated. */
export function checkSchema(db: Database, migrations: Migration[] = loadMigrations()): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current !== latest) {
    throw new Error(
      `the SQLite store ${db.name} is at schema version ${current}, this release reads version ${latest}; run the matching release`,
    );
  }
}
