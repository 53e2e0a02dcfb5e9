/**
 * What a job that ran out of time says of each rank: what it waits for (Comm.waits, asked over
 * the rendezvous by the launcher), as a line a person can act on. A hang in an MPI program is
 * most often a receive that no send matches, or two ranks each waiting for the other; naming
 * the receives, the messages under way and those no receive took shows which. Pure.
 */
import { TAG } from './collectives.js';
import { WAITS_LISTED, type Waits } from './comm.js';
import { ANY_SOURCE, ANY_TAG } from './match.js';

const RESERVED = new Map<number, string>(
  Object.entries(TAG).map(([name, tag]) => [tag, `the runtime's ${name}`]),
);

function tagName(tag: number): string {
  if (tag === ANY_TAG) return 'any tag';
  return RESERVED.get(tag) ?? `tag ${tag}`;
}

function sourceName(source: number): string {
  return source === ANY_SOURCE ? 'any rank' : `rank ${source}`;
}

type Listed = { source: number; tag: number; size?: number };

const integer = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);

/** An entry as a rank sends it: integers only (the answer comes from another process). */
function isListed(value: unknown): value is Listed {
  const v = value as Listed;
  return integer(v?.source) && integer(v?.tag) && (v.size === undefined || integer(v.size));
}

function list(entries: unknown, total: unknown, each: (e: Listed) => string): string {
  const valid = Array.isArray(entries) ? entries.filter(isListed) : [];
  const shown = valid.slice(0, WAITS_LISTED);
  const count = integer(total) ? (total as number) : valid.length;
  const more = count > shown.length ? ` and ${count - shown.length} more` : '';
  return `${shown.map(each).join(', ')}${more}`;
}

/** One line on rank `rank`'s state; `state` is what it answered (undefined: it did not). */
export function describeWaits(rank: number, state: unknown): string {
  if (state === undefined)
    return `rank ${rank}: did not answer (computing, stopped, or not joined yet)`;
  if ((state as { joining?: unknown } | null)?.joining === true)
    return `rank ${rank}: still joins the job (waits for the rendezvous' table)`;
  const waits = state as Partial<Waits> | null;
  const totals = (waits?.totals ?? {}) as Partial<Waits['totals']>;
  const parts: string[] = [];
  const receives = list(
    waits?.receives,
    totals.receives,
    (r) => `from ${sourceName(r.source)} with ${tagName(r.tag)}`,
  );
  if (receives) parts.push(`waits to receive ${receives}`);
  const arriving = list(
    waits?.arriving,
    totals.arriving,
    (m) => `from rank ${m.source} with ${tagName(m.tag)} (${m.size} bytes)`,
  );
  if (arriving) parts.push(`is receiving ${arriving}`);
  const unreceived = list(
    waits?.unreceived,
    totals.unreceived,
    (m) => `from rank ${m.source} with ${tagName(m.tag)} (${m.size} bytes)`,
  );
  if (unreceived) parts.push(`holds unreceived ${unreceived}`);
  if ((state as { connecting?: unknown } | null)?.connecting === true)
    parts.unshift('still connects to its peers (in init)');
  if (parts.length === 0)
    return `rank ${rank}: waits for no message (it computes, sends, or waits on something else)`;
  return `rank ${rank}: ${parts.join('; ')}`;
}
