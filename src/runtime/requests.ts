/** What point-to-point calls return: a receive's result and nonblocking requests. */
/** What a receive completes with. `data` holds exactly the message's bytes. */
export interface Received {
  readonly source: number;
  readonly tag: number;
  readonly size: number;
  readonly data: Buffer;
}

/** A nonblocking operation: `done` settles when it completes; `completed` says if it has. */
export interface Request<T> {
  readonly done: Promise<T>;
  readonly completed: boolean;
}

/** View of any typed array, DataView or Buffer as bytes, without copying. */
export function bytesOf(data: ArrayBufferView): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** A request settled by whoever completes the operation (a matched receive, a send's write):
 * `completed` turns true as it settles, and `done` is its own promise, with nothing chained on
 * it (each link would cost an allocation and a turn of the microtask queue per message). A
 * failure no one awaits is not an unhandled rejection: MPI reports it where the request is
 * waited on, and a request never waited on is the program's business. */
export class Settling<T> implements Request<T> {
  completed = false;
  readonly done: Promise<T>;
  #resolve: (value: T) => void = () => {};
  #reject: (error: Error) => void = () => {};

  constructor() {
    this.done = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  resolve(value: T): void {
    if (this.completed) return;
    this.completed = true;
    this.#resolve(value);
  }

  reject(error: Error): void {
    if (this.completed) return;
    this.completed = true;
    this.done.catch(() => {});
    this.#reject(error);
  }
}

const RESOLVED = Promise.resolve();

/** The request of an operation that completed as it started (a send whose bytes were copied
 * out at once): shared, nothing to settle (two such sends return the same object). */
export const COMPLETED: Request<void> = Object.freeze({ completed: true, done: RESOLVED });

/** A request that completes as `promise` settles. */
export function request<T>(promise: Promise<T>): Request<T> {
  const settling = new Settling<T>();
  promise.then(
    (value) => settling.resolve(value),
    (error: Error) => settling.reject(error),
  );
  return settling;
}

/** A request that has failed with `error`. */
export function failedRequest<T>(error: Error): Request<T> {
  const settling = new Settling<T>();
  settling.reject(error);
  return settling;
}

/** A promise that rejects with what `body` throws (argument errors of a promise-returning call
 * arrive as rejections, as they would from an async function). */
export function settled<T>(body: () => Promise<T>): Promise<T> {
  try {
    return body();
  } catch (error) {
    return Promise.reject(error);
  }
}
