/**
 * A rank that gets the rendezvous' table late: its peers connect, greet and send their first
 * messages (a barrier's, a ring's) before it has a communicator. A launcher pre-empted between
 * its writes of the table does this, rarely; here a rendezvous of the test's own, speaking the
 * protocol with the runtime's line helpers, holds rank 0's table back on purpose. The early
 * messages must be kept, not dropped: each job ends, its checks pass, over the local transport
 * (one vm) and over TCP (two vms on loopback). Real rank processes (the ring fixture).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { readLines, writeLine } from '../../../src/runtime/lines.js';
import { ROOT } from '../../support/paths.js';
import { tempDir } from '../../support/temp.js';

const RING = join(ROOT, 'test/fixtures/apps/ring.mjs');
/** How long rank 0's table is held back after the others have theirs. */
const LATE_MS = 600;

/** A rendezvous that gives every rank but 0 the table at once, and rank 0 LATE_MS later; it
 * answers nothing else (the ranks' `finalized` lines are read and ignored). */
async function lateRendezvous(size: number, token: string, path: string) {
  const ranks = new Map<number, { socket: Socket; info: unknown }>();
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    readLines(
      socket,
      (message) => {
        const info = message.info as { rank: number } | undefined;
        if (message.token !== token || !info) return;
        ranks.set(info.rank, { socket, info });
        if (ranks.size < size) return;
        const table = [...ranks.values()]
          .map((r) => r.info as { rank: number })
          .sort((a, b) => a.rank - b.rank);
        for (const [rank, r] of ranks) {
          if (rank === 0) setTimeout(() => writeLine(r.socket, { type: 'table', table }), LATE_MS);
          else writeLine(r.socket, { type: 'table', table });
        }
      },
      () => {},
    );
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

for (const [how, vms] of [
  ['one vm (local transport)', ['vm0', 'vm0', 'vm0']],
  ['three vms (tcp on loopback)', ['vm0', 'vm1', 'vm2']],
] as const) {
  test(`${how}: messages sent to a rank before it has the table are kept for it`, async (t) => {
    const dir = tempDir('vmpath-late-');
    const token = `late-${process.pid}-${Date.now()}`;
    const size = vms.length;
    const path = join(dir, 'rv.sock');
    const close = await lateRendezvous(size, token, path);
    t.after(close);
    const children = vms.map((vm, rank) =>
      spawn(process.execPath, [RING], {
        env: {
          ...process.env,
          VMPATH_RANK: String(rank),
          VMPATH_SIZE: String(size),
          VMPATH_TOKEN: token,
          VMPATH_RENDEZVOUS: `unix:${path}`,
          VMPATH_NODE: vm,
          VMPATH_ADDRESS: '127.0.0.1',
          VMPATH_LOCAL_SIZE: String(size),
          VMPATH_JOB_DIR: dir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    t.after(() => {
      for (const c of children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
    });
    let said = '';
    const codes = await Promise.all(
      children.map((child) => {
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          said += c;
        });
        child.stderr.setEncoding('utf8').on('data', (c: string) => {
          said += c;
        });
        return new Promise<number | string>((resolve) => {
          // A lost message hangs the job: end it by PID, and say so.
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          child.once('close', (code, signal) => {
            clearTimeout(timer);
            resolve(code ?? String(signal));
          });
        });
      }),
    );
    assert.deepEqual(codes, [0, 0, 0], said);
    for (let rank = 0; rank < size; rank++)
      assert.match(said, new RegExp(`rank ${rank}/${size} ok`));
  });
}
