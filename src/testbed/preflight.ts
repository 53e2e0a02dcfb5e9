/**
 * Checks made before anything is created: root, and the tools the plan will call.
 */
import { VmpathError } from '../core/errors.js';
import { findExecutable, isRoot } from '../sys/tools.js';
import type { Step } from './plan.js';

/** Debian packages that provide each tool, for the error message. */
const PACKAGES: Readonly<Record<string, string>> = { ip: 'iproute2', tc: 'iproute2' };

/** Throws E_TESTBED_NOT_ROOT or E_TESTBED_NO_TOOL; returns quietly when all is there. */
export function preflight(
  steps: readonly Step[],
  searchPath: string | undefined,
  what = 'building a testbed',
): void {
  if (!isRoot()) {
    throw new VmpathError(
      'E_TESTBED_NOT_ROOT',
      `${what} needs root (network namespaces, veth, bridges and tc need CAP_NET_ADMIN); run it with sudo`,
    );
  }
  const tools = new Set(steps.map((step) => step.argv[0] ?? ''));
  tools.add('ip');
  for (const tool of [...tools].sort()) {
    if (tool && !findExecutable(tool, searchPath)) {
      const pkg = PACKAGES[tool];
      throw new VmpathError(
        'E_TESTBED_NO_TOOL',
        `${tool} was not found on PATH; ${what} needs it${pkg ? ` (Debian: apt-get install -y ${pkg})` : ''}`,
        { details: { tool } },
      );
    }
  }
}
