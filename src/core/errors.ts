/**
 * The error catalogue of vmpath.
 *
 * Every error the tool raises on purpose is a `VmpathError` with a `code` grouped by area
 * (E_SPEC_*, E_TESTBED_*, E_CLUSTER_*, E_BENCH_*, E_APP_*, E_RUNTIME_*, E_TRANSPORT_*, E_STORE_*, E_EXP_*,
 * E_MODEL_*, E_SYS_*, E_CLI_*). Messages say what went wrong, where (the field or object) and
 * what is allowed. `kind` tells the CLI what the user can do about it: change the input
 * (`input`, exit 2), nothing (`failure`, exit 1), or it is what they asked for: an interrupt
 * (`interrupted`, exit 128 + the signal's number, as shells report it) or a time limit they set
 * (`timeout`, exit 124, as timeout(1)). This module prints nothing.
 */
import { constants } from 'node:os';

/** What the user can do about an error (see above). */
export type ErrorKind = 'input' | 'failure' | 'interrupted' | 'timeout';

/** Error codes, grouped by area. The CLI and tests match on these, never on message text. */
export const ErrorCodes = {
  E_SPEC_INVALID: 'input',
  E_SPEC_PARSE: 'input',
  E_SPEC_PRESET: 'input',
  E_CLI_USAGE: 'input',
  E_CLI_FILE: 'input',
  /** A result could not be written where asked (it is saved elsewhere, as the message says). */
  E_CLI_WRITE: 'failure',
  E_CLI_INTERRUPTED: 'interrupted',
  E_TESTBED_NOT_ROOT: 'input',
  E_TESTBED_NO_TOOL: 'input',
  E_TESTBED_UNSUPPORTED: 'input',
  E_TESTBED_ID_IN_USE: 'input',
  E_TESTBED_UNKNOWN: 'input',
  E_TESTBED_NODE: 'input',
  E_TESTBED_APPLY: 'failure',
  E_TESTBED_STATE: 'failure',
  E_TESTBED_CHECK: 'failure',
  /** An inventory that is not valid (a field), or whose nodes do not answer as it says (cluster
   * check: unreachable, another address, a tool missing): the user fixes the file or the node. */
  E_CLUSTER_INVALID: 'input',
  E_CLUSTER_CHECK: 'input',
  /** A launcher that cannot be used from here (srun outside an allocation). */
  E_CLUSTER_LAUNCHER: 'input',
  E_BENCH_INPUT: 'input',
  E_BENCH_PORT_IN_USE: 'input',
  E_BENCH_NO_TOOL: 'input',
  E_BENCH_FAILED: 'failure',
  E_BENCH_INTERRUPTED: 'failure',
  E_APP_INPUT: 'input',
  E_APP_MEMORY: 'input',
  E_APP_NO_TOOL: 'input',
  E_APP_FAILED: 'failure',
  E_APP_TIMEOUT: 'timeout',
  /** Misuse of the runtime's API (a tag or rank out of range, a bad VMPATH_* variable). */
  E_RUNTIME_TAG: 'input',
  E_RUNTIME_RANK: 'input',
  E_RUNTIME_ENV: 'input',
  /** A message larger than the receive buffer posted for it (MPI_ERR_TRUNCATE). */
  E_RUNTIME_TRUNCATE: 'failure',
  /** The job could not be joined: rendezvous unreachable, ranks missing in time. */
  E_RUNTIME_JOIN: 'failure',
  /** A peer's connection ended while it was still needed. */
  E_RUNTIME_PEER_LOST: 'failure',
  /** The job failed elsewhere (a rank died or aborted, the launcher ended it). */
  E_RUNTIME_JOB_FAILED: 'failure',
  /** finalize found messages that no receive took. */
  E_RUNTIME_UNMATCHED: 'failure',
  /** A peer broke the wire protocol (no greeting, wrong token, malformed frame). */
  E_TRANSPORT_PROTOCOL: 'failure',
  /** A send or connection on a socket that has closed. */
  E_TRANSPORT_CLOSED: 'failure',
  E_STORE_OPEN: 'input',
  E_STORE_NEWER: 'input',
  E_STORE_UNKNOWN: 'input',
  /** A stored run whose parts do not match its kind's schema (report/records.ts). */
  E_STORE_RECORD: 'input',
  E_EXP_SPEC: 'input',
  E_EXP_FAILED: 'failure',
  /** The same sweep runs already (its testbeds would be shared). */
  E_EXP_BUSY: 'input',
  E_MODEL_INPUT: 'input',
  E_MODEL_FAILED: 'failure',
  E_SYS_COMMAND: 'failure',
  E_SYS_SPAWN: 'failure',
  E_SYS_TIMEOUT: 'failure',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ErrorCodes;

/** Optional structured context attached to an error (field path, offending value, allowed). */
export interface ErrorDetails {
  field?: string;
  value?: unknown;
  allowed?: string;
  [key: string]: unknown;
}

/** The one base error of vmpath. */
export class VmpathError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: ErrorDetails } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VmpathError';
    this.code = code;
    this.details = options.details ?? {};
  }

  /** `input` errors are fixed by changing the command or spec; `failure` errors are not. */
  get kind(): ErrorKind {
    return ErrorCodes[this.code];
  }
}

/** Renders a value for an error message: strings quoted, the rest as JSON. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  // A long value (a whole list of hosts) is cut: the field and what is allowed say enough.
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}... (${text.length} characters)` : text;
}

const SHOWN = 200;

/** An input error naming the field, the value and what is allowed, in one sentence. */
export function invalidField(
  code: ErrorCode,
  field: string,
  value: unknown,
  allowed: string,
): VmpathError {
  return new VmpathError(code, `${field}: got ${showValue(value)}; allowed: ${allowed}`, {
    details: { field, value, allowed },
  });
}

/** What the runner knew about a command that failed. */
export interface CommandFailure {
  argv: readonly string[];
  netns?: string | undefined;
  exitCode: number | null;
  signal?: string | null | undefined;
  stderr: string;
  durationMs: number;
}

/** A command that ran and failed (non-zero exit, signal, or timeout). */
export class CommandError extends VmpathError {
  readonly argv: readonly string[];
  readonly netns: string | undefined;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly durationMs: number;

  constructor(failure: CommandFailure, options: { code?: ErrorCode; cause?: unknown } = {}) {
    const where = failure.netns ? ` in netns ${failure.netns}` : '';
    const how =
      failure.exitCode !== null
        ? `exit code ${failure.exitCode}`
        : `signal ${failure.signal ?? 'unknown'}`;
    const said = failure.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' / ');
    super(
      options.code ?? 'E_SYS_COMMAND',
      `command failed${where} (${how}): ${failure.argv.join(' ')}${said ? `: ${said}` : ''}`,
      { cause: options.cause },
    );
    this.name = 'CommandError';
    this.argv = failure.argv;
    this.netns = failure.netns;
    this.exitCode = failure.exitCode;
    this.signal = failure.signal ?? null;
    this.stderr = failure.stderr;
    this.durationMs = failure.durationMs;
  }

  /** The first line of what the command wrote to stderr, for short messages. */
  get shortMessage(): string {
    return this.stderr.trim().split('\n')[0] ?? '';
  }
}

/** The exit code of an interrupt by `signal` (128 + its number, as shells report it). */
export function signalExitCode(signal: string): number {
  return 128 + (constants.signals[signal as NodeJS.Signals] ?? 2);
}

/** The error an interrupt by `signal` (SIGINT, SIGTERM) turns into; `cause` is what the work
 * in progress failed with when it stopped. */
export function interrupted(signal: string, cause?: unknown): VmpathError {
  const said = cause instanceof Error ? cause.message : '';
  const what = said && !said.includes('interrupted') ? `: ${said}` : '';
  return new VmpathError('E_CLI_INTERRUPTED', `interrupted by ${signal}${what}`, {
    cause,
    details: { signal },
  });
}

/** The exit code of a run ended by the time limit the user set (as timeout(1) exits). */
export const TIMEOUT_EXIT_CODE = 124;

/** What a process exits with for `error`: 2 input, 1 failure, 124 timeout, 128 + N interrupted. */
export function exitCodeOf(error: VmpathError): number {
  switch (error.kind) {
    case 'input':
      return 2;
    case 'timeout':
      return TIMEOUT_EXIT_CODE;
    case 'interrupted':
      return signalExitCode(String(error.details.signal ?? 'SIGINT'));
    default:
      return 1;
  }
}

/** True if `error` is a VmpathError with the given code. */
export function hasCode(error: unknown, code: ErrorCode): error is VmpathError {
  return error instanceof VmpathError && error.code === code;
}
