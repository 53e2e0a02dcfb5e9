/**
 * Newline-delimited JSON over a socket, each line at most MAX_LINE_BYTES: the rendezvous's
 * control messages (small and rare, so readability wins over compactness).
 */
import type { Socket } from 'node:net';

export const MAX_LINE_BYTES = 64 * 1024;

/** Calls `onMessage` for every JSON line; `onError` for an oversized or malformed one. */
export function readLines(
  socket: Socket,
  onMessage: (message: Record<string, unknown>) => void,
  onError: (reason: string) => void,
): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        return onError('a line that is not JSON');
      }
      if (typeof message !== 'object' || message === null)
        return onError('a line that is not a JSON object');
      onMessage(message as Record<string, unknown>);
      newline = buffered.indexOf('\n');
    }
    if (buffered.length > MAX_LINE_BYTES) onError(`a line longer than ${MAX_LINE_BYTES} bytes`);
  });
}

export function writeLine(socket: Socket, message: Record<string, unknown>): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
}
