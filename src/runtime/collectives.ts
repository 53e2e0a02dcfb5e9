/**
 * Collectives on top of point-to-point messages, with the runtime's own negative tags so that
 * no user receive (not even ANY_TAG) can take them. Algorithms: binomial trees for bcast and
 * reduce (log2 P rounds, as MPICH and Open MPI use for small messages), gather to the root,
 * barrier as a gather plus a bcast of nothing, allreduce and allgather as reduce/gather + bcast.
 * Every rank must call the same collectives in the same order (MPI's rule).
 */
import { bytesOf, type Comm } from './comm.js';

export const TAG = { barrier: -2, bcast: -3, reduce: -4, gather: -5, allgather: -6 } as const;

export type ReduceOp = 'sum' | 'min' | 'max';
const OPS: Readonly<Record<ReduceOp, (a: number, b: number) => number>> = {
  sum: (a, b) => a + b,
  min: (a, b) => Math.min(a, b),
  max: (a, b) => Math.max(a, b),
};

/** Fills `data` on every rank with the root's `data` (binomial tree). */
export async function bcast<T extends ArrayBufferView>(
  comm: Comm,
  data: T,
  root: number,
): Promise<T> {
  const { rank, size } = comm;
  const relative = (rank - root + size) % size;
  let mask = 1;
  while (mask < size) {
    if (relative & mask) {
      await comm.reserved.recv((relative - mask + root) % size, TAG.bcast, data);
      break;
    }
    mask <<= 1;
  }
  mask >>= 1;
  const sends = [];
  while (mask > 0) {
    if (relative + mask < size)
      sends.push(comm.reserved.isend(data, (relative + mask + root) % size, TAG.bcast));
    mask >>= 1;
  }
  await comm.waitAll(sends);
  return data;
}

/** Combines every rank's values element-wise with `op` at the root (binomial tree); the root
 * gets the result, the others null. Numbers are reduced as one-element arrays. */
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
  const combine = OPS[op];
  let mask = 1;
  while (mask < size) {
    if (relative & mask) {
      await comm.reserved.send(acc, (relative - mask + root) % size, TAG.reduce);
      return null;
    }
    if (relative + mask < size) {
      await comm.reserved.recv((relative + mask + root) % size, TAG.reduce, incoming);
      for (let i = 0; i < acc.length; i++)
        acc[i] = combine(acc[i] as number, incoming[i] as number);
    }
    mask <<= 1;
  }
  return acc;
}

export async function allreduce(
  comm: Comm,
  data: Float64Array,
  op: ReduceOp,
): Promise<Float64Array> {
  const result = (await reduce(comm, data, op, 0)) ?? new Float64Array(data.length);
  return bcast(comm, result, 0);
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
export async function allgather(comm: Comm, data: ArrayBufferView): Promise<Buffer[]> {
  const parts = await gather(comm, data, 0, TAG.allgather);
  const sizes = new Float64Array(comm.size);
  if (parts)
    parts.forEach((p, i) => {
      sizes[i] = p.length;
    });
  await bcast(comm, sizes, 0);
  const all = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
  if (parts) Buffer.concat(parts).copy(all);
  await bcast(comm, all, 0);
  const out: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    out.push(all.subarray(offset, offset + size));
    offset += size;
  }
  return out;
}

export async function barrier(comm: Comm): Promise<void> {
  await gather(comm, new Uint8Array(0), 0, TAG.barrier);
  await bcast(comm, new Uint8Array(0), 0);
}
