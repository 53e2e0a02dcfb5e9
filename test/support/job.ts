/**
 * A whole job in one process: `size` ranks joined through a real rendezvous on a Unix socket,
 * talking over loopback TCP (ranks of different "vms") and Unix sockets (ranks of one vm).
 */
import { join } from 'node:path';
import { init, type World } from '../../src/runtime/index.js';
import { RendezvousServer } from '../../src/runtime/rendezvous.js';
import { tempDir } from './temp.js';

export async function inProcessJob(
  size: number,
  vmOf: (rank: number) => string,
  extraEnv:
    | Readonly<Record<string, string>>
    | ((rank: number) => Readonly<Record<string, string>>) = {},
) {
  const dir = tempDir('vmpath-job-');
  const lost: number[] = [];
  const rejected: string[] = [];
  const server = new RendezvousServer(size, 'tok', {
    onRejected: (r) => rejected.push(r),
    onRankLost: (r) => lost.push(r),
    onAbort: () => {},
  });
  const path = join(dir, 'rv.sock');
  await server.listen({ path });
  const worlds = await Promise.all(
    Array.from({ length: size }, (_, rank) =>
      init({
        env: {
          VMPATH_RANK: String(rank),
          VMPATH_SIZE: String(size),
          VMPATH_TOKEN: 'tok',
          VMPATH_RENDEZVOUS: `unix:${path}`,
          VMPATH_NODE: vmOf(rank),
          VMPATH_JOB_DIR: dir,
          ...(typeof extraEnv === 'function' ? extraEnv(rank) : extraEnv),
        },
        timeoutMs: 5000,
      }),
    ),
  );
  return { worlds, server, lost, rejected, path };
}

/** `body` on every rank at once. */
export const each = <T>(worlds: World[], body: (w: World) => Promise<T>) =>
  Promise.all(worlds.map(body));
