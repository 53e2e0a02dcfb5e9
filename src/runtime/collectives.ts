/**
 * Collectives on top of point-to-point messages, with the runtime's own negative tags so that
 * no user receive (not even ANY_TAG) can take them. Every rank must call the same collectives
 * in the same order with the same sizes (MPI's rule); each rank then picks the same algorithm.
 * The algorithms are those of MPICH and Open MPI (Thakur, Rabenseifner and Gropp, "Optimization
 * of Collective Communication Operations in MPICH", IJHPCA 19(1), 2005):
 *   barrier    dissemination: ceil(log2 P) rounds, rank r signals r + 2^k and hears r - 2^k
 *              (Hensgen, Finkel and Manber, 1988; MPICH's barrier)
 *   bcast      binomial tree below BCAST_LONG bytes or on fewer than BCAST_MIN_RANKS ranks;
 *              above, a binomial scatter of P chunks and a ring allgather of them (van de
 *              Geijn's bcast, MPICH's for long messages): about 2n bytes per rank, not n log2 P
 *   reduce     binomial tree (log2 P rounds)
 *   allreduce  recursive doubling below ALLREDUCE_LONG bytes (log2 P exchanges of the whole
 *              vector, non-powers of two folded in first, as MPICH does); above, a ring
 *              reduce-scatter and a ring allgather (Patarasuk and Yuan, 2009; Open MPI's
 *              coll/base ring): 2(P - 1) steps of n/P bytes
 *   gather     straight to the root; allgather: gather and bcast
 * Crowded ranks (more than the cores they run on: every message a rank handles takes a core
 * from another) send fewest messages instead: barrier as a binomial fan-in and fan-out (2(P -
 * 1) messages, not P log2 P), bcast always binomial, allreduce as a binomial reduce and bcast
 * until the ring's blocks reach CROWDED_RING_BLOCK (on at most CROWDED_RING_RANKS ranks). Measured on paper with bench
 * osu-collectives (docs/benchmarks.md); VMPATH_BARRIER, VMPATH_BCAST and VMPATH_ALLREDUCE force
 * an algorithm. Each element is combined once per pair of partial results, in an order every
 * rank shares, so every rank ends with the same bits.
 */
import { VmpathError } from '../core/errors.js';
import { bytesOf, type Comm } from './comm.js';

export const TAG = {
  barrier: -2,
  bcast: -3,
  reduce: -4,
  gather: -5,
  allgather: -6,
  allreduce: -7,
  ring: -8,
} as const;

/** Bytes from which bcast scatters and rings (MPICH's MPIR_CVAR_BCAST_SHORT_MSG_SIZE), and the
 * fewest ranks for which it does (MPICH's MPIR_CVAR_BCAST_MIN_PROCS). */
export const BCAST_LONG = 12288;
export const BCAST_MIN_RANKS = 8;
/** Bytes from which allreduce rings rather than doubles. The ring's 2(P - 1) steps cost more
 * latency than log2 P exchanges, so it pays only when the vector is long. */
export const ALLREDUCE_LONG = 65536;
/** Crowded ranks ring only when each of the ring's blocks carries this much, and on at most
 * CROWDED_RING_RANKS ranks: every step waits for a neighbour to be scheduled. On paper (2
 * cores), against the tree, the ring won from 64 KiB on 4 ranks and from 128 KiB on 8, and
 * lost up to 1 MiB on 16 (docs/benchmarks.md). */
export const CROWDED_RING_BLOCK = 16384;
export const CROWDED_RING_RANKS = 8;

/** The algorithms a job may force per collective (as Open MPI's coll_tuned_*_algorithm), by
 * VMPATH_BARRIER, VMPATH_BCAST and VMPATH_ALLREDUCE; unset, each call picks by size. */
export const ALGORITHMS = {
  barrier: ['dissemination', 'tree'],
  bcast: ['binomial', 'scatter-ring'],
  allreduce: ['doubling', 'tree', 'ring'],
} as const;
export type Algorithms = {
  readonly [K in keyof typeof ALGORITHMS]?: (typeof ALGORITHMS)[K][number];
};

/** How a job's collectives choose: what it forces, and whether its ranks outnumber the cores
 * they run on (init.ts). Crowded ranks each take a core from the others for every message they
 * handle, so the algorithm that sends fewest messages wins, not the one with fewest rounds. */
export interface Choice extends Algorithms {
  readonly crowded?: boolean;
}
const VARIABLES = {
  barrier: 'VMPATH_BARRIER',
  bcast: 'VMPATH_BCAST',
  allreduce: 'VMPATH_ALLREDUCE',
} as const;

/** The algorithms `env` forces; a value not among a collective's algorithms is an error. */
export function algorithmsFrom(env: NodeJS.ProcessEnv): Algorithms {
  const out: Record<string, string> = {};
  for (const [name, variable] of Object.entries(VARIABLES)) {
    const value = env[variable];
    if (value === undefined || value === '' || value === 'auto') continue;
    const allowed = ALGORITHMS[name as keyof typeof ALGORITHMS] as readonly string[];
    if (!allowed.includes(value))
      throw new VmpathError(
        'E_RUNTIME_ENV',
        `${variable}: got ${JSON.stringify(value)}; allowed: auto, ${allowed.join(', ')}`,
        { details: { field: variable, value, allowed: ['auto', ...allowed].join(', ') } },
      );
    out[name] = value;
  }
  return out as Algorithms;
}

export type ReduceOp = 'sum' | 'min' | 'max';
const OPS: Readonly<Record<ReduceOp, (a: number, b: number) => number>> = {
  sum: (a, b) => a + b,
  min: (a, b) => Math.min(a, b),
  max: (a, b) => Math.max(a, b),
};

const NOTHING = new Uint8Array(0);
const EMPTY = Buffer.alloc(0);

/** Sends `data` to `dest` and receives from `source` into `into`, both at once. */
async function exchange(
  comm: Comm,
  tag: number,
  data: ArrayBufferView,
  dest: number,
  source: number,
  into?: ArrayBufferView,
): Promise<void> {
  const received = comm.reserved.irecv(source, tag, into);
  const sent = comm.reserved.isend(data, dest, tag);
  await Promise.all([sent.done, received.done]);
}

/** `acc[i] = op(lower[i], higher[i])`, in place in `acc` (which is one of the two). */
function combine(op: ReduceOp, acc: Float64Array, lower: Float64Array, higher: Float64Array): void {
  const f = OPS[op];
  for (let i = 0; i < acc.length; i++) acc[i] = f(lower[i] as number, higher[i] as number);
}

type Of<K extends keyof typeof ALGORITHMS> = (typeof ALGORITHMS)[K][number];

export function barrierAlgorithm(choice: Choice): Of<'barrier'> {
  return choice.barrier ?? (choice.crowded ? 'tree' : 'dissemination');
}

export function bcastAlgorithm(bytes: number, size: number, choice: Choice): Of<'bcast'> {
  const long = bytes >= BCAST_LONG && size >= BCAST_MIN_RANKS && !choice.crowded;
  return choice.bcast ?? (long ? 'scatter-ring' : 'binomial');
}

/** For `length` doubles on `size` ranks. */
export function allreduceAlgorithm(length: number, size: number, choice: Choice): Of<'allreduce'> {
  const bytes = length * 8;
  const short = choice.crowded ? 'tree' : 'doubling';
  const long = choice.crowded
    ? size <= CROWDED_RING_RANKS && bytes / size >= CROWDED_RING_BLOCK
    : bytes >= ALLREDUCE_LONG;
  const algorithm = choice.allreduce ?? (long ? 'ring' : short);
  // The ring needs an element per block; a shorter vector takes the short messages' way.
  return algorithm === 'ring' && length < size ? short : algorithm;
}

export async function barrier(comm: Comm, choice: Choice = {}): Promise<void> {
  const { rank, size } = comm;
  if (size === 1) return;
  if (barrierAlgorithm(choice) === 'tree') {
    await treeBarrier(comm);
    return;
  }
  for (let distance = 1; distance < size; distance <<= 1)
    await exchange(
      comm,
      TAG.barrier,
      NOTHING,
      (rank + distance) % size,
      (rank - distance + size) % size,
    );
}

/** A binomial fan-in to rank 0 and a binomial fan-out from it: 2(P - 1) messages in
 * 2 log2 P steps, against dissemination's P log2 P in log2 P. */
async function treeBarrier(comm: Comm): Promise<void> {
  const { rank, size } = comm;
  for (let mask = 1; mask < size; mask <<= 1) {
    if (rank & mask) {
      await comm.reserved.send(NOTHING, rank - mask, TAG.barrier);
      break;
    }
    if (rank + mask < size) await comm.reserved.recv(rank + mask, TAG.barrier);
  }
  await binomialBcast(comm, EMPTY, 0, TAG.barrier);
}

/** Fills `data` on every rank with the root's `data`. */
export async function bcast<T extends ArrayBufferView>(
  comm: Comm,
  data: T,
  root: number,
  choice: Choice = {},
): Promise<T> {
  if (comm.size === 1) return data;
  if (bcastAlgorithm(data.byteLength, comm.size, choice) === 'binomial')
    await binomialBcast(comm, bytesOf(data), root);
  else await scatterRingBcast(comm, bytesOf(data), root);
  return data;
}

async function binomialBcast(
  comm: Comm,
  data: Buffer,
  root: number,
  tag: number = TAG.bcast,
): Promise<void> {
  const { rank, size } = comm;
  const relative = (rank - root + size) % size;
  let mask = 1;
  while (mask < size) {
    if (relative & mask) {
      await comm.reserved.recv((relative - mask + root) % size, tag, data);
      break;
    }
    mask <<= 1;
  }
  mask >>= 1;
  const sends = [];
  while (mask > 0) {
    if (relative + mask < size)
      sends.push(comm.reserved.isend(data, (relative + mask + root) % size, tag));
    mask >>= 1;
  }
  await comm.waitAll(sends);
}

/** van de Geijn's bcast: chunk c (of P, ceil(n/P) bytes each, the last ones short or empty)
 * goes down a binomial tree to relative rank c, then every chunk goes round the ring. */
async function scatterRingBcast(comm: Comm, data: Buffer, root: number): Promise<void> {
  const { rank, size } = comm;
  const relative = (rank - root + size) % size;
  const chunk = Math.ceil(data.length / size);
  const range = (c: number) => {
    const start = Math.min(c * chunk, data.length);
    return data.subarray(start, Math.min(start + chunk, data.length));
  };
  // Scatter: a rank receives the chunks of its whole subtree, and passes the upper halves on.
  let held = relative === 0 ? data.length : 0;
  let mask = 1;
  while (mask < size) {
    if (relative & mask) {
      const start = Math.min(relative * chunk, data.length);
      const got = await comm.reserved.recv(
        (relative - mask + root) % size,
        TAG.bcast,
        data.subarray(start),
      );
      held = got.size;
      break;
    }
    mask <<= 1;
  }
  mask >>= 1;
  while (mask > 0) {
    if (relative + mask < size) {
      const give = Math.max(0, held - chunk * mask);
      const start = Math.min((relative + mask) * chunk, data.length);
      await comm.reserved.send(
        data.subarray(start, start + give),
        (relative + mask + root) % size,
        TAG.bcast,
      );
      held -= give;
    }
    mask >>= 1;
  }
  // Ring allgather: step i passes on the chunk received in step i - 1.
  const right = (rank + 1) % size;
  const left = (rank - 1 + size) % size;
  let mine = relative;
  for (let step = 1; step < size; step++) {
    const next = (mine - 1 + size) % size;
    await exchange(comm, TAG.ring, range(mine), right, left, range(next));
    mine = next;
  }
}

/** Combines every rank's values element-wise with `op` at the root (binomial tree); the root
 * gets the result, the others null. */
export async function reduce(
  comm: Comm,
  data: Float64Array,
  op: ReduceOp,
  root: number,
): Promise<Float64Array | null> {
  const { rank, size } = comm;
  const relative = (rank - root + size) % size;
  const acc = Float64Array.from(data);
  const incoming = new Float64Array(acc.length);
  let mask = 1;
  while (mask < size) {
    if (relative & mask) {
      await comm.reserved.send(acc, (relative - mask + root) % size, TAG.reduce);
      return null;
    }
    if (relative + mask < size) {
      const source = (relative + mask + root) % size;
      await comm.reserved.recv(source, TAG.reduce, incoming);
      if (source > rank) combine(op, acc, acc, incoming);
      else combine(op, acc, incoming, acc);
    }
    mask <<= 1;
  }
  return acc;
}

export async function allreduce(
  comm: Comm,
  data: Float64Array,
  op: ReduceOp,
  choice: Choice = {},
): Promise<Float64Array> {
  if (comm.size === 1) return Float64Array.from(data);
  const algorithm = allreduceAlgorithm(data.length, comm.size, choice);
  if (algorithm === 'tree') {
    const result = (await reduce(comm, data, op, 0)) ?? new Float64Array(data.length);
    await binomialBcast(comm, bytesOf(result), 0, TAG.allreduce);
    return result;
  }
  const acc = Float64Array.from(data);
  if (algorithm === 'ring') await ringAllreduce(comm, acc, op);
  else await recursiveDoubling(comm, acc, op);
  return acc;
}

/** MPICH's recursive doubling. With P not a power of two, the first 2 * rem ranks (rem = P -
 * 2^floor(log2 P)) pair up: each even one hands its vector to the odd one above it and waits
 * for the result; the others double among themselves. */
async function recursiveDoubling(comm: Comm, acc: Float64Array, op: ReduceOp): Promise<void> {
  const { rank, size } = comm;
  let pof2 = 1;
  while (pof2 * 2 <= size) pof2 *= 2;
  const rem = size - pof2;
  const incoming = new Float64Array(acc.length);
  let newRank: number;
  if (rank < 2 * rem) {
    if (rank % 2 === 0) {
      await comm.reserved.send(acc, rank + 1, TAG.allreduce);
      newRank = -1;
    } else {
      await comm.reserved.recv(rank - 1, TAG.allreduce, incoming);
      combine(op, acc, incoming, acc);
      newRank = rank >> 1;
    }
  } else newRank = rank - rem;
  if (newRank >= 0) {
    for (let mask = 1; mask < pof2; mask <<= 1) {
      const partner = newRank ^ mask;
      const dest = partner < rem ? partner * 2 + 1 : partner + rem;
      await exchange(comm, TAG.allreduce, acc, dest, dest, incoming);
      if (dest < rank) combine(op, acc, incoming, acc);
      else combine(op, acc, acc, incoming);
    }
  }
  if (rank < 2 * rem) {
    if (rank % 2 === 1) await comm.reserved.send(acc, rank - 1, TAG.allreduce);
    else await comm.reserved.recv(rank + 1, TAG.allreduce, acc);
  }
}

/** The ring: P blocks (the first length % P one element longer). In reduce-scatter step k a
 * rank sends block rank - k to the right and adds the left's block rank - k - 1 into its own;
 * after P - 1 steps it holds block rank + 1 reduced over every rank, and P - 1 allgather steps
 * pass the reduced blocks round. */
async function ringAllreduce(comm: Comm, acc: Float64Array, op: ReduceOp): Promise<void> {
  const { rank, size } = comm;
  const base = Math.floor(acc.length / size);
  const extra = acc.length % size;
  const block = (b: number) => {
    const i = (b + size) % size;
    const start = i * base + Math.min(i, extra);
    return acc.subarray(start, start + base + (i < extra ? 1 : 0));
  };
  const right = (rank + 1) % size;
  const left = (rank - 1 + size) % size;
  const incoming = new Float64Array(base + 1);
  const f = OPS[op];
  for (let step = 0; step < size - 1; step++) {
    const into = block(rank - step - 1);
    const part = incoming.subarray(0, into.length);
    await exchange(comm, TAG.ring, block(rank - step), right, left, part);
    // The left's part holds the ranks below this one in the ring's order of this block.
    for (let i = 0; i < into.length; i++) into[i] = f(part[i] as number, into[i] as number);
  }
  for (let step = 0; step < size - 1; step++)
    await exchange(comm, TAG.ring, block(rank + 1 - step), right, left, block(rank - step));
}

/** Every rank's bytes at the root, in rank order; null on the other ranks. */
export async function gather(
  comm: Comm,
  data: ArrayBufferView,
  root: number,
  tag: number = TAG.gather,
): Promise<Buffer[] | null> {
  if (comm.rank !== root) {
    await comm.reserved.send(data, root, tag);
    return null;
  }
  const parts: Buffer[] = [];
  const pending = [];
  for (let source = 0; source < comm.size; source++) {
    if (source === root) continue;
    pending.push(comm.reserved.irecv(source, tag).done.then((r) => ({ source, data: r.data })));
  }
  const received = await Promise.all(pending);
  for (let source = 0; source < comm.size; source++) {
    parts[source] =
      source === root
        ? Buffer.from(bytesOf(data))
        : (received.find((r) => r.source === source)?.data as Buffer);
  }
  return parts;
}

/** Every rank's bytes on every rank, in rank order. */
export async function allgather(
  comm: Comm,
  data: ArrayBufferView,
  choice: Choice = {},
): Promise<Buffer[]> {
  const parts = await gather(comm, data, 0, TAG.allgather);
  const sizes = new Float64Array(comm.size);
  if (parts)
    parts.forEach((p, i) => {
      sizes[i] = p.length;
    });
  await bcast(comm, sizes, 0, choice);
  const all = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
  if (parts) Buffer.concat(parts).copy(all);
  await bcast(comm, all, 0, choice);
  const out: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    out.push(all.subarray(offset, offset + size));
    offset += size;
  }
  return out;
}
