/**
 * Folders of vmpath processes killed before they could remove them (src/sys/stale.ts): only
 * those with the prefix whose PID is gone are removed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeStaleFolders } from '../../../src/sys/stale.js';

test("a gone process's folders are removed; live, foreign and look-alike ones are not", () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmpath-stale-test-'));
  try {
    const names = [
      'vmpath-ssh-999999999-abc',
      `vmpath-ssh-${process.pid}-x`,
      'vmpath-ssh-deadbeef',
      'vmpath-sshX999999999-abc',
      'vmpath-job-999999999-abc',
      'other',
    ];
    for (const name of names) mkdirSync(join(dir, name));
    assert.deepEqual(removeStaleFolders('vmpath-ssh-', dir), ['vmpath-ssh-999999999-abc']);
    assert.deepEqual(
      readdirSync(dir).sort(),
      names.filter((n) => n !== 'vmpath-ssh-999999999-abc').sort(),
    );
    // A prefix is matched as written, not as a pattern.
    assert.deepEqual(removeStaleFolders('vmpath.job-', dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
