import Database from 'better-sqlite3';
import { ConflictError } from '../errors.js';

export interface InstanceLock {
  readonly path: string;
  release(): void;
}

/**
 * Every lock this process holds. better-sqlite3 closes a Database its finalizer collects, and closing drops
 * the file lock: a holder that kept no reference of its own would lose the lock at the next GC.
 */
const heldLocks = new Set<Database.Database>();

/**
 * One bot per SQLite file. The lock is a second, tiny SQLite file held in EXCLUSIVE locking mode inside a
 * write transaction that is never committed: SQLite's own file lock (POSIX fcntl), which the kernel drops
 * when the holding process ends in any way, kill -9 included, so a crash never leaves a stale lock behind
 * (a PID file would). A second process, or a second open in this one, fails at once instead of waiting.
 * Local filesystems only: fcntl locks over NFS are not to be trusted, and neither is SQLite's WAL there.
 */
export function acquireInstanceLock(path: string, hint: { dataDir: string }): InstanceLock {
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new ConflictError(
        `another aws-user instance is already running on the SQLite store in DATA_DIR=${hint.dataDir} (lock: ${path}). ` +
          'Stop the other instance first, or give this one its own DATA_DIR; to run several replicas, set REDIS_URL so they share Redis instead.',
        { cause: err },
      );
    }
    throw err;
  }
  heldLocks.add(db);
  return {
    path,
    release() {
      if (!heldLocks.delete(db)) return;
      // Closing rolls the open transaction back and drops the file lock.
      db.close();
    },
  };
}
