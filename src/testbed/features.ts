/**
 * Kernel features the testbed relies on, and how to tell that one is missing from what iproute2
 * says when a step fails. A missing feature is the user's to work around (exit 2), so it gets a
 * message naming the feature and the spec field that asked for it. Pure.
 */
import { CommandError, VmpathError } from '../core/errors.js';
import type { Step } from './plan.js';

interface Feature {
  readonly name: string;
  /** Which steps need it: a word in the step's argv. */
  readonly argvWord: string;
  /** Which part of the spec asks for it. */
  readonly askedBy: string;
}

/** What iproute2 prints when the kernel lacks a qdisc or link type. */
const MISSING =
  /unknown (device type|qdisc)|specified qdisc kind is unknown|not supported|operation not supported|no such file/i;

const FEATURES: readonly Feature[] = [
  {
    name: 'the netem qdisc (sch_netem)',
    argvWord: 'netem',
    askedBy: 'hosts[].uplink.delayMs > 0: remove the delay, or use a kernel with sch_netem',
  },
  {
    name: 'the tbf qdisc (sch_tbf)',
    argvWord: 'tbf',
    askedBy: 'an uplink rate: omit hosts[].uplink.rateMbit or pass --rate 0',
  },
  {
    name: 'macvlan interfaces',
    argvWord: 'macvlan',
    askedBy: 'the iov and shm data paths: use --datapath bridged or native',
  },
  { name: 'Linux bridges', argvWord: 'bridge', askedBy: 'the bridged data path or the switch' },
  { name: 'veth pairs', argvWord: 'veth', askedBy: 'every testbed' },
];

/** Rewrites a failed step's error as E_TESTBED_UNSUPPORTED when a kernel feature is missing,
 * else as E_TESTBED_APPLY naming the step. */
export function explainStepFailure(step: Step, error: unknown): VmpathError {
  if (error instanceof CommandError && MISSING.test(error.stderr)) {
    const feature = FEATURES.find((f) => step.argv.includes(f.argvWord));
    if (feature) {
      return new VmpathError(
        'E_TESTBED_UNSUPPORTED',
        `this kernel lacks ${feature.name}, needed for ${feature.askedBy} (${error.shortMessage})`,
        { cause: error, details: { feature: feature.name } },
      );
    }
  }
  if (error instanceof VmpathError && error.code !== 'E_SYS_COMMAND') return error;
  const why = error instanceof Error ? error.message : String(error);
  return new VmpathError('E_TESTBED_APPLY', `could not ${step.description}: ${why}`, {
    cause: error,
  });
}
