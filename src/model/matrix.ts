/**
 * Communication matrices: the file `vmpath launch --matrix` and `vmpath profile` write
 * ({ ranks, matrix: [{ from, to, messages, bytes }] }, what the runtime counts), checked on
 * reading; and Open MPI's pml monitoring output (one file per rank, `E src dst N bytes M msgs
 * sent ...` lines for point-to-point traffic) turned into one. Pure.
 */
import { VmpathError } from '../core/errors.js';
import type { Traffic } from '../placement/classes.js';

export interface MatrixFile {
  readonly ranks: number;
  readonly matrix: readonly Traffic[];
}

function bad(source: string, field: string, value: unknown, allowed: string): VmpathError {
  return new VmpathError(
    'E_MODEL_INPUT',
    `${source}: ${field}: got ${JSON.stringify(value) ?? 'nothing'}; allowed: ${allowed}`,
    { details: { field, value } },
  );
}

const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Checks a parsed matrix document; `ranks` (when given) must agree with it. */
export function parseMatrix(raw: unknown, source: string, ranks?: number): MatrixFile {
  const doc = raw as { ranks?: unknown; matrix?: unknown } | null;
  if (doc === null || typeof doc !== 'object')
    throw bad(source, '(top level)', raw, 'an object { ranks, matrix }');
  const n = doc.ranks;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw bad(source, 'ranks', n, 'a whole number >= 1');
  if (ranks !== undefined && ranks !== n)
    throw bad(source, 'ranks', n, `${ranks} (the rank count asked for with -n)`);
  if (!Array.isArray(doc.matrix))
    throw bad(source, 'matrix', doc.matrix, 'a list of { from, to, messages, bytes }');
  const matrix = doc.matrix.map((e: unknown, i: number): Traffic => {
    const t = e as Record<string, unknown>;
    for (const key of ['from', 'to'] as const)
      if (!count(t?.[key]) || (t[key] as number) >= n)
        throw bad(source, `matrix.${i}.${key}`, t?.[key], `a rank from 0 to ${n - 1}`);
    for (const key of ['messages', 'bytes'] as const)
      if (!count(t[key])) throw bad(source, `matrix.${i}.${key}`, t[key], 'a whole number >= 0');
    return {
      from: t.from as number,
      to: t.to as number,
      messages: t.messages as number,
      bytes: t.bytes as number,
    };
  });
  return { ranks: n, matrix };
}

const LINE = /^E\t(\d+)\t(\d+)\t(\d+) bytes\t(\d+) msgs sent/;

/** Open MPI pml monitoring files (`PREFIX.<rank>.prof`) as one matrix. */
export function parseMonitoring(files: readonly { rank: number; text: string }[]): MatrixFile {
  if (files.length === 0)
    throw new VmpathError(
      'E_MODEL_FAILED',
      'no pml monitoring file was written: was the program an MPI program started by mpirun?',
    );
  const ranks = Math.max(...files.map((f) => f.rank)) + 1;
  const matrix: Traffic[] = [];
  for (const f of files)
    for (const line of f.text.split('\n')) {
      const m = LINE.exec(line);
      if (!m) continue;
      const [from, to, bytes, messages] = m.slice(1).map(Number) as [
        number,
        number,
        number,
        number,
      ];
      if (messages > 0 || bytes > 0) matrix.push({ from, to, messages, bytes });
    }
  return { ranks, matrix };
}
