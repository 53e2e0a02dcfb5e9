/**
 * The rendezvous: where the ranks of a job find each other. The launcher (or, under an external
 * launcher, whoever hosts VMPATH_RENDEZVOUS) runs the server; every rank registers its rank,
 * where it listens and which vm it is in, proving it holds the job token, and gets the whole
 * table once all have registered. The connection stays open: a rank whose connection drops
 * before it said `finalized` is dead, and every other rank is told which one (DESIGN.md 5).
 * Addresses: `unix:/path` (reachable from every namespace of one machine) or `host:port`.
 */

import { timingSafeEqual } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { VmpathError } from '../core/errors.js';
import type { Datapath } from '../topology/types.js';
import type { Algorithms } from './collectives.js';
import type { PeerCounters } from './comm.js';
import { readLines, writeLine } from './lines.js';

/** What a rank tells the others about itself. */
export interface RankInfo {
  readonly rank: number;
  /** The vm (or native host) it runs in: ranks of one vm talk over the local transport. */
  readonly vm: string;
  /** The host of that vm, and the vm's data path: whose channel between co-located vms decides
   * whether they talk over the local transport too (shm). */
  readonly host: string;
  readonly datapath: Datapath;
  readonly tcp: { readonly host: string; readonly port: number };
  readonly local: { readonly path: string };
  /** Whether this rank's machine is crowded (init.ts), and the collectives' algorithms its
   * environment forces: every rank picks by the table, so that all pick alike. */
  readonly crowded?: boolean;
  readonly algorithms?: Algorithms;
}

export interface RendezvousEvents {
  /** A registration or message was refused (bad token, garbage); the job goes on. */
  onRejected(reason: string): void;
  /** A rank died (its connection dropped before it finalized). */
  onRankLost(rank: number): void;
  /** A rank called abort. */
  onAbort(rank: number, code: number, reason: string): void;
}

function tokenMatches(offered: unknown, token: Buffer): boolean {
  if (typeof offered !== 'string') return false;
  const bytes = Buffer.from(offered, 'utf8');
  return bytes.length === token.length && timingSafeEqual(bytes, token);
}

/** Parses `unix:/path` or `host:port`. */
export function parseRendezvous(
  address: string,
): { path: string } | { host: string; port: number } {
  if (address.startsWith('unix:')) return { path: address.slice(5) };
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new VmpathError(
      'E_RUNTIME_ENV',
      `VMPATH_RENDEZVOUS: got ${JSON.stringify(address)}; allowed: unix:/path or host:port`,
    );
  return { host: address.slice(0, at), port };
}

/** The server side. */
export class RendezvousServer {
  readonly #size: number;
  readonly #token: Buffer;
  readonly #events: RendezvousEvents;
  readonly #ranks = new Map<number, { socket: Socket; info: RankInfo }>();
  readonly #finalized = new Set<number>();
  /** What each finalized rank said it sent to each peer: the job's communication matrix. */
  readonly #counters = new Map<number, readonly PeerCounters[]>();
  /** Who awaits each rank's answer to a question of state (states()). */
  readonly #states = new Map<number, (state: unknown) => void>();
  #server: Server | null = null;
  #failed = false;
  #closing = false;
  readonly #whenAllFinalized: Promise<void>;
  #allFinalized: () => void = () => {};

  constructor(size: number, token: string, events: RendezvousEvents) {
    this.#size = size;
    this.#token = Buffer.from(token, 'utf8');
    this.#events = events;
    this.#whenAllFinalized = new Promise((resolve) => {
      this.#allFinalized = resolve;
    });
  }

  /** Resolves once every rank has said it finalized, or after `timeoutMs`. */
  allFinalized(timeoutMs: number): Promise<void> {
    return Promise.race([
      this.#whenAllFinalized,
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  /** Each finalized rank's counters towards every peer, by rank. */
  counters(): ReadonlyMap<number, readonly PeerCounters[]> {
    return this.#counters;
  }

  /** The TCP port it listens on (after listen on a host and port 0), or null. */
  port(): number | null {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? address.port : null;
  }

  listen(where: { path: string } | { host: string; port: number }): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if ('path' in where) server.listen(where.path, done);
      else server.listen({ host: where.host, port: where.port }, done);
    });
  }

  /** Tells every rank still connected that the job failed (a rank exited, say); `quiet` when
   * whoever ends the job reports why itself
   * (the launcher, for an interrupt or a timeout), so that the ranks need not repeat it. */
  fail(reason: string, quiet = false): void {
    this.#failed = true;
    for (const { socket } of this.#ranks.values())
      writeLine(socket, { type: 'failed', reason, ...(quiet ? { quiet } : {}) });
  }

  /** Asks every rank connected what it waits for; what each answered within `timeoutMs`, by
   * rank (a rank that computes, is stopped or has not joined yet does not answer). */
  async states(timeoutMs: number): Promise<Map<number, unknown>> {
    const answers = new Map<number, unknown>();
    const asked = [...this.#ranks].map(
      ([rank, { socket }]) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          timer.unref();
          this.#states.set(rank, (state) => {
            clearTimeout(timer);
            answers.set(rank, state);
            resolve();
          });
          writeLine(socket, { type: 'state' });
        }),
    );
    await Promise.all(asked);
    this.#states.clear();
    return answers;
  }

  close(): Promise<void> {
    this.#closing = true;
    for (const { socket } of this.#ranks.values()) socket.destroy();
    return new Promise((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve(),
    );
  }

  #accept(socket: Socket): void {
    socket.on('error', () => {});
    let rank: number | null = null;
    const refuse = (reason: string) => {
      this.#events.onRejected(reason);
      socket.destroy();
    };
    readLines(
      socket,
      (message) => {
        if (rank === null) {
          if (!tokenMatches(message.token, this.#token))
            return refuse('a connection without the job token');
          const info = message.info as RankInfo | undefined;
          const r = info?.rank;
          if (
            typeof r !== 'number' ||
            !Number.isInteger(r) ||
            r < 0 ||
            r >= this.#size ||
            this.#ranks.has(r)
          ) {
            return refuse(
              `a registration with rank ${JSON.stringify(r)} (allowed: an unregistered rank from 0 to ${this.#size - 1})`,
            );
          }
          rank = r;
          this.#ranks.set(r, { socket, info: info as RankInfo });
          if (this.#ranks.size === this.#size) this.#announce();
          return;
        }
        if (message.type === 'finalized') {
          if (Array.isArray(message.counters))
            this.#counters.set(rank, message.counters as PeerCounters[]);
          this.#finalized.add(rank);
          if (this.#finalized.size === this.#size) this.#allFinalized();
        } else if (message.type === 'state') {
          this.#states.get(rank)?.(message.state);
        } else if (message.type === 'abort') {
          this.#events.onAbort(rank, Number(message.code ?? 1), String(message.reason ?? ''));
          this.fail(
            `rank ${rank} called abort(${Number(message.code ?? 1)}): ${String(message.reason ?? '')}`,
          );
        }
      },
      (reason) => refuse(`rank ${rank ?? '?'} sent ${reason}`),
    );
    socket.on('close', () => {
      if (rank === null || this.#ranks.get(rank)?.socket !== socket) return;
      if (!this.#finalized.has(rank) && !this.#failed && !this.#closing) {
        this.#events.onRankLost(rank);
        this.fail(`rank ${rank} ended without finalize`);
      }
    });
  }

  #announce(): void {
    const table = [...this.#ranks.values()].map((r) => r.info).sort((a, b) => a.rank - b.rank);
    for (const { socket } of this.#ranks.values()) writeLine(socket, { type: 'table', table });
  }
}

/** The rank side: register, get the table, then hear of failures. */
export class RendezvousClient {
  readonly #socket: Socket;
  #onFailed: (reason: string, quiet: boolean) => void = () => {};
  /** Until the rank has its communicator it is joining (init.ts answers from then on). */
  #state: () => unknown = () => ({ joining: true });

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Connects, registers and resolves with the table once every rank has registered. */
  static async connect(
    address: string,
    token: string,
    info: RankInfo,
    timeoutMs: number,
  ): Promise<{ client: RendezvousClient; table: RankInfo[] }> {
    // Under an external launcher rank 0 hosts the rendezvous and may not listen yet: retry
    // while nothing answers, until the time is up.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await RendezvousClient.#attempt(
          address,
          token,
          info,
          Math.max(1, deadline - Date.now()),
        );
      } catch (error) {
        const refused = /ECONNREFUSED|ENOENT/.test((error as Error).message);
        if (!refused || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  static #attempt(
    address: string,
    token: string,
    info: RankInfo,
    timeoutMs: number,
  ): Promise<{ client: RendezvousClient; table: RankInfo[] }> {
    const where = parseRendezvous(address);
    return new Promise((resolve, reject) => {
      const socket =
        'path' in where
          ? createConnection({ path: where.path })
          : createConnection({ host: where.host, port: where.port });
      const client = new RendezvousClient(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new VmpathError(
            'E_RUNTIME_JOIN',
            `the job did not assemble within ${timeoutMs / 1000} s (rendezvous ${address})`,
          ),
        );
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new VmpathError(
            'E_RUNTIME_JOIN',
            `cannot reach the rendezvous ${address}: ${error.message}`,
          ),
        );
      });
      socket.once('connect', () => {
        // With nothing listening yet, a connection to a local port in the ephemeral range can be
        // given that very port as its own and connect to itself (TCP's simultaneous open),
        // holding the port rank 0 is about to listen on: let go of it and try again.
        if (
          'port' in where &&
          socket.localPort === socket.remotePort &&
          socket.localAddress === socket.remoteAddress
        ) {
          clearTimeout(timer);
          socket.destroy();
          reject(
            new VmpathError(
              'E_RUNTIME_JOIN',
              `cannot reach the rendezvous ${address}: ECONNREFUSED (connected to itself)`,
            ),
          );
          return;
        }
        writeLine(socket, { token, info: info as unknown as Record<string, unknown> });
      });
      readLines(
        socket,
        (message) => {
          if (message.type === 'table') {
            clearTimeout(timer);
            resolve({ client, table: message.table as RankInfo[] });
          } else if (message.type === 'failed')
            client.#onFailed(String(message.reason), message.quiet === true);
          else if (message.type === 'state')
            writeLine(socket, { type: 'state', state: client.#state() });
        },
        (reason) => client.#onFailed(`the rendezvous sent ${reason}`, false),
      );
      socket.on('close', () => {
        clearTimeout(timer);
        reject(
          new VmpathError(
            'E_RUNTIME_JOIN',
            `the rendezvous ${address} closed the connection (wrong token, or the job is over)`,
          ),
        );
        client.#onFailed('the rendezvous went away', false);
      });
    });
  }

  /** Called when the job fails elsewhere (a rank died or aborted, the launcher went away). */
  onFailed(handler: (reason: string, quiet: boolean) => void): void {
    this.#onFailed = handler;
  }

  /** What this rank answers when the server asks what it waits for (a job out of time). */
  onState(state: () => unknown): void {
    this.#state = state;
  }

  /** This rank is done; `counters` (what it sent to each peer) become its row of the job's
   * matrix at the server. */
  finalized(counters: readonly PeerCounters[]): void {
    writeLine(this.#socket, { type: 'finalized', counters });
  }

  abort(code: number, reason: string): void {
    writeLine(this.#socket, { type: 'abort', code, reason });
  }

  close(): void {
    this.#socket.removeAllListeners('close');
    this.#socket.end();
  }
}
