/**
 * Which of this machine's addresses the kernel would use towards another: read from a connected
 * UDP socket (connecting sends no packet). Interface lists are not used: they hide a link whose
 * carrier the kernel has not yet reported, right after it came up.
 */
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

export async function addressTowards(host: string, port = 9): Promise<string> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

/** Every address of this machine's (or namespace's) interfaces. */
export function localAddresses(): Set<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address)
      .filter((a): a is string => Boolean(a)),
  );
}
