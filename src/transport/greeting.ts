/**
 * The greeting each side of a connection sends before any message: a magic number, its rank and
 * the job token. A side that does not prove it holds the token within 10 s is dropped.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { VmpathError } from '../core/errors.js';
import type { Reader } from './reader.js';

const HELLO_MAGIC = 0x564d5048; // "VMPH"
export const MAX_TOKEN_BYTES = 128;
const HELLO_FIXED = 10; // magic u32, rank u32, token length u16
const GREETING_TIMEOUT_MS = 10_000;

/** The greeting of `rank` holding `token`. */
export function encodeHello(rank: number, token: string): Buffer {
  const secret = Buffer.from(token, 'utf8');
  if (secret.length === 0 || secret.length > MAX_TOKEN_BYTES)
    throw new RangeError(`job token must be 1 to ${MAX_TOKEN_BYTES} bytes`);
  const hello = Buffer.alloc(HELLO_FIXED + secret.length);
  hello.writeUInt32BE(HELLO_MAGIC, 0);
  hello.writeUInt32BE(rank, 4);
  hello.writeUInt16BE(secret.length, 8);
  secret.copy(hello, HELLO_FIXED);
  return hello;
}

/** Reads a greeting from the start of `bytes`: the rank and how many bytes it took, null if
 * more bytes are needed; throws on anything that is not a greeting with the right token. */
export function decodeHello(bytes: Buffer, token: Buffer): { rank: number; length: number } | null {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) !== HELLO_MAGIC)
    throw new VmpathError('E_TRANSPORT_PROTOCOL', 'not a vmpath greeting');
  if (bytes.length < HELLO_FIXED) return null;
  const tokenLength = bytes.readUInt16BE(8);
  if (tokenLength === 0 || tokenLength > MAX_TOKEN_BYTES)
    throw new VmpathError('E_TRANSPORT_PROTOCOL', `greeting token of ${tokenLength} bytes`);
  if (bytes.length < HELLO_FIXED + tokenLength) return null;
  const offered = bytes.subarray(HELLO_FIXED, HELLO_FIXED + tokenLength);
  if (offered.length !== token.length || !timingSafeEqual(offered, token))
    throw new VmpathError('E_TRANSPORT_PROTOCOL', 'wrong job token');
  return { rank: bytes.readUInt32BE(4), length: HELLO_FIXED + tokenLength };
}

/** Waits for the peer's greeting on `socket` and checks it; `accept` decides on the rank (and
 * may throw to refuse it); `adopt` then takes the connection over at once, with what `accept`
 * returned and the bytes that came after the greeting (the first frames). */
export function awaitGreeting<T>(
  socket: Socket,
  reader: Reader,
  token: Buffer,
  accept: (rank: number) => T,
  adopt: (rank: number, accepted: T, rest: Buffer) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(
      () => fail(new VmpathError('E_TRANSPORT_PROTOCOL', 'no greeting within 10 s')),
      GREETING_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reader.onBytes = () => {};
      reject(error);
    };
    reader.onBytes = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      let hello: { rank: number; length: number } | null;
      let accepted: T;
      try {
        hello = decodeHello(buffered, token);
        if (!hello) return;
        accepted = accept(hello.rank);
      } catch (error) {
        return fail(error as Error);
      }
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('close');
      adopt(hello.rank, accepted, buffered.subarray(hello.length));
      resolve();
    };
    socket.once('close', () =>
      fail(new VmpathError('E_TRANSPORT_PROTOCOL', 'closed during the greeting')),
    );
  });
}
