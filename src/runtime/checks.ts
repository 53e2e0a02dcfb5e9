/** The arguments of point-to-point calls, checked: ranks, user tags, the runtime's own tags.
 * Errors name the calling rank, the argument, its value and what is allowed. Pure. */
import { VmpathError } from '../core/errors.js';
import { ANY_TAG } from './match.js';

/** The largest user tag (MPI_TAG_UB is at least 32767; ours is 2^31 - 1). */
export const TAG_UB = 0x7fffffff;
/** The smallest tag at all: the runtime's own tags lie between it and ANY_TAG (exclusive). */
const TAG_MIN = -0x80000000;

/** A destination or source rank of a job of `size` ranks, checked for rank `self`. */
export function checkRank(self: number, size: number, rank: number, what: string): void {
  if (!Number.isInteger(rank) || rank < 0 || rank >= size) {
    const allowed = `a rank from 0 to ${size - 1}${what === 'source' ? ' or ANY_SOURCE' : ''}`;
    throw new VmpathError(
      'E_RUNTIME_RANK',
      `rank ${self}: ${what}: got ${rank}; allowed: ${allowed}`,
      { details: { field: what, value: rank, allowed } },
    );
  }
}

/** User tags are 0..TAG_UB (and ANY_TAG to receive); the runtime's own are below ANY_TAG. */
export function checkUserTag(self: number, tag: number, receiving: boolean): number {
  const ok = Number.isInteger(tag) && tag <= TAG_UB && (tag >= 0 || (receiving && tag === ANY_TAG));
  if (!ok) {
    const allowed = `an integer from 0 to ${TAG_UB}${receiving ? ' or ANY_TAG' : ''} (negative tags are the runtime's own)`;
    throw new VmpathError('E_RUNTIME_TAG', `rank ${self}: tag: got ${tag}; allowed: ${allowed}`, {
      details: { field: 'tag', value: tag, allowed },
    });
  }
  return tag;
}

/** The runtime's own tags: below ANY_TAG. */
export function checkReservedTag(self: number, tag: number): number {
  if (!Number.isInteger(tag) || tag >= ANY_TAG || tag < TAG_MIN)
    throw new VmpathError(
      'E_RUNTIME_TAG',
      `rank ${self}: reserved tag: got ${tag}; allowed: an integer below ${ANY_TAG} (the runtime's own)`,
      { details: { field: 'tag', value: tag } },
    );
  return tag;
}
