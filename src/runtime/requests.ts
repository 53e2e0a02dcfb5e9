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

export function request<T>(promise: Promise<T>): Request<T> {
  const state = { completed: false };
  const done = promise.then((value) => {
    state.completed = true;
    return value;
  });
  done.catch(() => {
    state.completed = true;
  });
  return {
    done,
    get completed() {
      return state.completed;
    },
  };
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
