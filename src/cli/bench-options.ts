/**
 * The options of `vmpath bench ...` checked and turned into test parameters and an iteration
 * policy; each error names the option, the value and what is allowed.
 */

import { MIN_BUFFER_BYTES, type SocketBuffers } from '../bench/buffers.js';
import { type IterationPolicy, SINGLE_RUN } from '../bench/iterate.js';
import { BENCH_TOOLS, type ToolName } from '../bench/tools/index.js';
import type { TestParams } from '../bench/types.js';
import { invalidField } from '../core/errors.js';
import { decimal, parseBytes, parsePair, parseSeconds } from '../core/units.js';

export interface BenchFlags {
  test?: string;
  tool?: string;
  duration?: string;
  warmup?: string;
  size?: string;
  request?: string;
  response?: string;
  iterations?: string;
  confidence?: string;
  port?: string;
  sndbuf?: string;
  rcvbuf?: string;
}

/** Largest message or request: 1 GiB. */
export const MAX_MESSAGE_BYTES = 1024 ** 3;

export function testParams(test: string, flags: BenchFlags): TestParams {
  const durationMs = parseSeconds(flags.duration ?? '10', '--duration', 3600);
  const warmupMs = parseSeconds(flags.warmup ?? '1', '--warmup', 600, true);
  if (test === 'stream') {
    return {
      test,
      sizeBytes: parseBytes(flags.size ?? '128K', '--size', 1, MAX_MESSAGE_BYTES),
      durationMs,
      warmupMs,
    };
  }
  if (test === 'rr') {
    return {
      test,
      requestBytes: parseBytes(flags.request ?? '1', '--request', 1, MAX_MESSAGE_BYTES),
      responseBytes: parseBytes(flags.response ?? '1', '--response', 1, MAX_MESSAGE_BYTES),
      durationMs,
      warmupMs,
    };
  }
  throw invalidField('E_CLI_USAGE', '--test', test, 'stream or rr');
}

/** --iterations MIN,MAX and --confidence LEVEL,WIDTH (percent), as netperf's -i and -I. */
export function iterationPolicy(flags: BenchFlags): IterationPolicy {
  if (flags.iterations === undefined && flags.confidence === undefined) return SINGLE_RUN;
  const [min, max] = parsePair(
    flags.iterations ?? '3,10',
    '--iterations',
    'MIN,MAX: whole numbers with 1 <= MIN <= MAX <= 100',
    (a, b) => Number.isInteger(a) && Number.isInteger(b) && a >= 1 && a <= b && b <= 100,
  );
  const [level, widthPct] = parsePair(
    flags.confidence ?? '99,5',
    '--confidence',
    'LEVEL,WIDTH in percent: 50 <= LEVEL < 100 and 0 < WIDTH <= 100, e.g. 99,5',
    (a, b) => a >= 50 && a < 100 && b > 0 && b <= 100,
  );
  return { min, max, level: level / 100, widthPct };
}

export function toolName(flags: BenchFlags): ToolName {
  const tool = flags.tool ?? 'vmpath';
  if (!(tool in BENCH_TOOLS))
    throw invalidField('E_CLI_USAGE', '--tool', tool, Object.keys(BENCH_TOOLS).join(', '));
  return tool as ToolName;
}

export function portOf(flags: BenchFlags): number {
  if (flags.port === undefined) return 0;
  const port = decimal(flags.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_000)
    throw invalidField(
      'E_CLI_USAGE',
      '--port',
      flags.port,
      'a port from 1 to 65000 (pair i uses port + i)',
    );
  return port;
}

/** --sndbuf and --rcvbuf: socket buffer caps in bytes (see bench/buffers.ts). */
export function socketBuffers(flags: BenchFlags): SocketBuffers {
  const parse = (text: string | undefined, field: string) =>
    text === undefined ? null : parseBytes(text, field, MIN_BUFFER_BYTES, MAX_MESSAGE_BYTES);
  return {
    sndbufBytes: parse(flags.sndbuf, '--sndbuf'),
    rcvbufBytes: parse(flags.rcvbuf, '--rcvbuf'),
  };
}
