/**
 * Paths tests need: the repository root (tests run from dist/test/...), the built CLI.
 */
import { fileURLToPath } from 'node:url';

/** The repository root, found from this compiled file (dist/test/support/paths.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const GOLDEN_DIR = `${ROOT}test/golden/`;
