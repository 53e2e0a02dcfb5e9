/**
 * The two kinds of stream socket a rank listens and connects on: TCP (between vms, so that the
 * testbed's data path carries the bytes) and Unix-domain sockets (between ranks of one machine).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { connectWith, type Reader } from './reader.js';

/** Where a rank listens. */
export type PeerAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'local'; readonly path: string };

/** Listens on a TCP address (port 0: any free port) or a Unix socket path; each connection is
 * handed over paused. */
export function listenOn(
  where: { host: string; port?: number } | { path: string },
  onConnection: (socket: Socket) => void,
): Promise<{ server: Server; address: PeerAddress }> {
  const server = createServer({ noDelay: true, pauseOnConnect: true }, onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      const bound = server.address();
      const address: PeerAddress =
        'path' in where
          ? { kind: 'local', path: where.path }
          : {
              kind: 'tcp',
              host: where.host,
              port: typeof bound === 'object' && bound ? bound.port : 0,
            };
      resolve({ server, address });
    };
    if ('path' in where) server.listen(where.path, done);
    else server.listen({ host: where.host, port: where.port ?? 0 }, done);
  });
}

/** Connects to a peer's address, its bytes read through `reader`; `localAddress` binds TCP to
 * this rank's own address. */
export function dial(address: PeerAddress, reader: Reader, localAddress?: string): Socket {
  return address.kind === 'tcp'
    ? connectWith(
        {
          host: address.host,
          port: address.port,
          noDelay: true,
          ...(localAddress ? { localAddress } : {}),
        },
        reader,
      )
    : connectWith({ path: address.path }, reader);
}
