/**
 * The `vmpath` bin as a user runs it after a build (npm test builds first; the build recreates
 * dist/ from scratch): directly by its path, and through npx from the checkout.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../support/paths.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};
const BIN = join(ROOT, pkg.bin.vmpath as string);

test('the bin is executable after a build and starts the CLI', () => {
  accessSync(BIN, constants.X_OK);
  const result = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
  assert.equal(result.error, undefined, String(result.error));
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), pkg.version);
});

test('npx vmpath works in the checkout after a build', () => {
  const result = spawnSync('npx', ['--no-install', 'vmpath', '--help'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  assert.match(result.stdout, /^Usage: vmpath /);
});
