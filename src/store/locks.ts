/**
 * Named locks held by processes, in a small SQLite file (its own transactions make taking and
 * taking over a lock atomic, across processes). A lock belongs to a PID; one whose process is
 * gone (killed with SIGKILL) is taken over by the next taker. The caller says which processes
 * are alive (this module starts and ends nothing).
 */
import Database from 'better-sqlite3';

/** Who holds a lock. */
export interface Holder {
  readonly pid: number;
  readonly startedAt: string;
  readonly name: string;
}

/** Takes lock `key` in `file` for `holder`, unless a live process holds it: then returns that
 * holder, and takes nothing. */
export function takeLock(
  file: string,
  key: string,
  holder: Holder,
  alive: (pid: number) => boolean,
): Holder | null {
  const db = new Database(file, { timeout: 10_000 });
  try {
    db.exec(
      'CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, started_at TEXT NOT NULL, name TEXT NOT NULL)',
    );
    return db
      .transaction((): Holder | null => {
        const row = db
          .prepare('SELECT pid, started_at AS startedAt, name FROM locks WHERE key = ?')
          .get(key) as Holder | undefined;
        if (row && row.pid !== holder.pid && alive(row.pid)) return row;
        db.prepare(
          'INSERT INTO locks (key, pid, started_at, name) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET pid = excluded.pid, started_at = excluded.started_at, name = excluded.name',
        ).run(key, holder.pid, holder.startedAt, holder.name);
        return null;
      })
      .immediate();
  } finally {
    db.close();
  }
}

/** Gives back lock `key` if `pid` holds it. */
export function releaseLock(file: string, key: string, pid: number): void {
  const db = new Database(file, { timeout: 10_000 });
  try {
    db.prepare('DELETE FROM locks WHERE key = ? AND pid = ?').run(key, pid);
  } finally {
    db.close();
  }
}
