/**
 * The results database: one SQLite file (WAL), the only module that touches SQLite.
 *   environments  what a sweep ran on (kernel, CPU, memory, Node, vmpath, git revision, tools)
 *   sweeps        one per spec (by its hash): the spec as given
 *   runs          one per completed (or failed) run of a sweep, keyed by its parameters: kind,
 *                 parameters, summary, raw samples, error. Written in one transaction when the
 *                 run ends, so a killed sweep loses at most the run in progress, and resuming
 *                 skips every run already done (UNIQUE(sweep, key)).
 * The schema has a version (meta.schema_version) and migrations; a file from a newer vmpath is
 * refused, untouched.
 */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { VmpathError } from '../core/errors.js';

export const SCHEMA_VERSION = 2;

/** Migration i brings the schema from version i to i + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE environments (
     id INTEGER PRIMARY KEY,
     captured_at TEXT NOT NULL,
     info TEXT NOT NULL
   );
   CREATE TABLE sweeps (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL,
     spec_hash TEXT NOT NULL UNIQUE,
     spec TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE runs (
     id INTEGER PRIMARY KEY,
     sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
     environment_id INTEGER NOT NULL REFERENCES environments(id),
     key TEXT NOT NULL,
     kind TEXT NOT NULL,
     params TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
     started_at TEXT NOT NULL,
     finished_at TEXT NOT NULL,
     summary TEXT,
     samples TEXT,
     error TEXT,
     UNIQUE (sweep_id, key)
   );
   CREATE INDEX runs_by_kind ON runs (sweep_id, kind);`,
  // 2: the OSU curves are runs of their own kind (they were bench runs of test osu).
  `UPDATE runs SET kind = 'osu' WHERE kind = 'bench' AND json_extract(params, '$.test') = 'osu';`,
];

export interface RunRecord {
  readonly id: number;
  readonly sweepId: number;
  readonly environmentId: number;
  readonly key: string;
  readonly kind: string;
  readonly params: Record<string, unknown>;
  readonly status: 'done' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly summary: Record<string, unknown> | null;
  readonly samples: unknown;
  readonly error: string | null;
}

export interface SweepRecord {
  readonly id: number;
  readonly name: string;
  readonly specHash: string;
  readonly spec: unknown;
  readonly createdAt: string;
  readonly runs: number;
  readonly failed: number;
}

interface RunRow {
  id: number;
  sweep_id: number;
  environment_id: number;
  key: string;
  kind: string;
  params: string;
  status: 'done' | 'failed';
  started_at: string;
  finished_at: string;
  summary: string | null;
  samples: string | null;
  error: string | null;
}

const parse = <T>(text: string | null): T | null =>
  text === null ? null : (JSON.parse(text) as T);

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    sweepId: row.sweep_id,
    environmentId: row.environment_id,
    key: row.key,
    kind: row.kind,
    params: JSON.parse(row.params) as Record<string, unknown>,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    summary: parse<Record<string, unknown>>(row.summary),
    samples: parse(row.samples),
    error: row.error,
  };
}

export class Store {
  readonly #db: Database.Database;
  readonly file: string;

  private constructor(db: Database.Database, file: string) {
    this.#db = db;
    this.file = file;
  }

  /** Opens (creating if need be) and migrates the database at `file`. One that must exist
   * (`create: false`, to be read) may be read-only; otherwise it must take writes, which is
   * checked here, before the caller runs anything whose results it would then lose. */
  static open(file: string, options: { create?: boolean } = {}): Store {
    let db: Database.Database;
    try {
      db = new Database(file, { fileMustExist: options.create === false });
    } catch (error) {
      throw new VmpathError(
        'E_STORE_OPEN',
        `--db: got ${JSON.stringify(file)}; allowed: a results database (${(error as Error).message})`,
        { details: { field: '--db', value: file }, cause: error },
      );
    }
    try {
      const canWrite = writable(db, file);
      if (!canWrite && options.create !== false)
        throw new VmpathError(
          'E_STORE_OPEN',
          `--db: ${file} is read-only; allowed: a results database this user can write`,
          { details: { field: '--db', value: file } },
        );
      if (canWrite) db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      migrate(db, file, canWrite);
    } catch (error) {
      db.close();
      if (error instanceof VmpathError) throw error;
      throw new VmpathError(
        'E_STORE_OPEN',
        `--db: ${file} is not a vmpath results database (${(error as Error).message})`,
        { details: { field: '--db', value: file }, cause: error },
      );
    }
    return new Store(db, file);
  }

  close(): void {
    this.#db.close();
  }

  addEnvironment(info: Record<string, unknown>): number {
    const result = this.#db
      .prepare('INSERT INTO environments (captured_at, info) VALUES (?, ?)')
      .run(new Date().toISOString(), JSON.stringify(info));
    return Number(result.lastInsertRowid);
  }

  environment(id: number): Record<string, unknown> | null {
    const row = this.#db.prepare('SELECT info FROM environments WHERE id = ?').get(id) as
      | { info: string }
      | undefined;
    return row ? (JSON.parse(row.info) as Record<string, unknown>) : null;
  }

  /** The sweep of this spec (by hash), created on first use. */
  sweepFor(name: string, specHash: string, spec: unknown): number {
    const found = this.#db.prepare('SELECT id FROM sweeps WHERE spec_hash = ?').get(specHash) as
      | { id: number }
      | undefined;
    if (found) return found.id;
    const result = this.#db
      .prepare('INSERT INTO sweeps (name, spec_hash, spec, created_at) VALUES (?, ?, ?, ?)')
      .run(name, specHash, JSON.stringify(spec), new Date().toISOString());
    return Number(result.lastInsertRowid);
  }

  /** Keys of the runs of a sweep that completed. */
  doneKeys(sweepId: number): Set<string> {
    const rows = this.#db
      .prepare("SELECT key FROM runs WHERE sweep_id = ? AND status = 'done'")
      .all(sweepId) as { key: string }[];
    return new Set(rows.map((r) => r.key));
  }

  /** Records a finished run (replacing an earlier failed attempt of the same key). */
  recordRun(run: Omit<RunRecord, 'id'>): void {
    this.#db
      .prepare(
        `INSERT INTO runs (sweep_id, environment_id, key, kind, params, status, started_at,
           finished_at, summary, samples, error)
         VALUES (@sweepId, @environmentId, @key, @kind, @params, @status, @startedAt, @finishedAt,
           @summary, @samples, @error)
         ON CONFLICT (sweep_id, key) DO UPDATE SET environment_id = excluded.environment_id,
           status = excluded.status, started_at = excluded.started_at,
           finished_at = excluded.finished_at, summary = excluded.summary,
           samples = excluded.samples, error = excluded.error
         WHERE runs.status <> 'done'`,
      )
      .run({
        ...run,
        params: JSON.stringify(run.params),
        summary: run.summary === null ? null : JSON.stringify(run.summary),
        samples:
          run.samples === null || run.samples === undefined ? null : JSON.stringify(run.samples),
      });
  }

  sweeps(): SweepRecord[] {
    const rows = this.#db
      .prepare(
        `SELECT s.id, s.name, s.spec_hash, s.spec, s.created_at,
           COUNT(r.id) AS runs, SUM(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END) AS failed
         FROM sweeps s LEFT JOIN runs r ON r.sweep_id = s.id GROUP BY s.id ORDER BY s.id`,
      )
      .all() as {
      id: number;
      name: string;
      spec_hash: string;
      spec: string;
      created_at: string;
      runs: number;
      failed: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      specHash: r.spec_hash,
      spec: JSON.parse(r.spec),
      createdAt: r.created_at,
      runs: r.runs,
      failed: r.failed ?? 0,
    }));
  }

  runs(filter: { sweepId?: number; kind?: string } = {}): RunRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.sweepId !== undefined) {
      where.push('sweep_id = ?');
      args.push(filter.sweepId);
    }
    if (filter.kind !== undefined) {
      where.push('kind = ?');
      args.push(filter.kind);
    }
    const rows = this.#db
      .prepare(
        `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`,
      )
      .all(...args) as RunRow[];
    return rows.map(toRun);
  }

  run(id: number): RunRecord | null {
    const row = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }
}

/** Whether the database takes writes: a write transaction begun and rolled back. A database
 * on a read-only file system may not open at all (in WAL mode, SQLite must make its -shm file):
 * that is read-only too. */
function writable(db: Database.Database, file: string): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_READONLY')) return false;
    if (code.startsWith('SQLITE_CANTOPEN') && !fileWritable(file)) return false;
    throw error;
  }
}

function fileWritable(file: string): boolean {
  try {
    accessSync(file, constants.W_OK);
    accessSync(dirname(file), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The tables every version of the schema has. */
const TABLES = ['meta', 'environments', 'sweeps', 'runs'] as const;

function migrate(db: Database.Database, file: string, write = true): void {
  const hasMeta = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    .get();
  let version = 0;
  if (hasMeta) {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    version = Number(row?.value ?? 0);
  } else {
    const tables = db
      .prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'")
      .get() as {
      n: number;
    };
    if (tables.n > 0) throw new Error('it has tables but no vmpath schema version');
  }
  if (version > SCHEMA_VERSION)
    throw new VmpathError(
      'E_STORE_NEWER',
      `--db: ${file} has schema version ${version}; this vmpath knows up to ${SCHEMA_VERSION}: use a newer vmpath`,
      { details: { field: '--db', value: file } },
    );
  if (version < SCHEMA_VERSION && !write)
    throw new VmpathError(
      'E_STORE_OPEN',
      `--db: ${file} has schema version ${version} and is read-only; it must be writable once to be brought to version ${SCHEMA_VERSION}`,
      { details: { field: '--db', value: file } },
    );
  db.transaction(() => {
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    if (version < SCHEMA_VERSION)
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(String(SCHEMA_VERSION));
  })();
  const present = new Set(
    (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((t) => t.name),
  );
  const missing = TABLES.filter((t) => !present.has(t));
  if (missing.length > 0)
    throw new Error(
      `its table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`,
    );
}
