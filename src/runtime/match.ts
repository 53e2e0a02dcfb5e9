/**
 * MPI message matching. Pure: no sockets, no timers.
 *
 * Arriving messages are matched against posted receives in the order receives were posted; a
 * message no receive wants waits in the unexpected queue, and a new receive takes the first
 * unexpected message it matches, in arrival order. Because each source's messages arrive in the
 * order they were sent (one ordered connection per peer) and both queues are FIFO, messages from
 * one source with one tag are received in the order sent (MPI's non-overtaking rule), and
 * ANY_SOURCE / ANY_TAG match in arrival order.
 */

export const ANY_SOURCE = -1;
export const ANY_TAG = -1;

/** What a receive asks for. */
export interface Want {
  readonly source: number;
  readonly tag: number;
}

/** What an arriving message is. */
export interface Envelope {
  readonly source: number;
  readonly tag: number;
}

/** Tags below ANY_TAG are the runtime's own (collectives): ANY_TAG never takes them. */
export function matches(want: Want, envelope: Envelope): boolean {
  const tag = want.tag === ANY_TAG ? envelope.tag >= 0 : want.tag === envelope.tag;
  return tag && (want.source === ANY_SOURCE || want.source === envelope.source);
}

/** Queues of posted receives (R) and unexpected messages (M), matched as MPI does. */
export class Matcher<R extends Want, M extends Envelope> {
  readonly #posted: R[] = [];
  readonly #unexpected: M[] = [];

  /** A receive is posted: returns the unexpected message it takes, or queues it and returns null. */
  post(receive: R): M | null {
    const i = this.#unexpected.findIndex((m) => matches(receive, m));
    if (i >= 0) return this.#unexpected.splice(i, 1)[0] as M;
    this.#posted.push(receive);
    return null;
  }

  /** A message arrives: returns the posted receive it completes, or queues it and returns null. */
  arrive(message: M): R | null {
    const i = this.#posted.findIndex((r) => matches(r, message));
    if (i >= 0) return this.#posted.splice(i, 1)[0] as R;
    this.#unexpected.push(message);
    return null;
  }

  /** Withdraws a posted receive (cancelled or failed); true if it was still waiting. */
  cancel(receive: R): boolean {
    const i = this.#posted.indexOf(receive);
    if (i >= 0) this.#posted.splice(i, 1);
    return i >= 0;
  }

  /** Messages that arrived but were never received (an error at finalize). */
  get unexpected(): readonly M[] {
    return this.#unexpected;
  }

  /** Receives still waiting. */
  get posted(): readonly R[] {
    return this.#posted;
  }
}
