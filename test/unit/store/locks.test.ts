/**
 * Locks held by processes (src/store/locks.ts): taken once, refused while the holder lives,
 * taken over once it is gone, given back only by their holder.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { releaseLock, takeLock } from '../../../src/store/locks.js';
import { tempDir } from '../../support/temp.js';

const file = join(tempDir('vmpath-locks-'), 'locks');
const holder = (pid: number) => ({ pid, startedAt: `t${pid}`, name: `sweep of ${pid}` });

test('a lock is taken, refused while its holder lives, taken over once it is gone', () => {
  const alive = new Set([100, 200]);
  const isAlive = (pid: number) => alive.has(pid);
  assert.equal(takeLock(file, 'a', holder(100), isAlive), null, '100 takes it');
  assert.deepEqual(takeLock(file, 'a', holder(200), isAlive), holder(100), '200 is refused');
  assert.equal(takeLock(file, 'b', holder(200), isAlive), null, 'another key is free');
  alive.delete(100);
  assert.equal(takeLock(file, 'a', holder(200), isAlive), null, 'taken over from a dead holder');
  assert.deepEqual(takeLock(file, 'a', holder(300), isAlive), holder(200));
});

test('only the holder gives a lock back', () => {
  const isAlive = () => true;
  assert.equal(takeLock(file, 'c', holder(400), isAlive), null);
  releaseLock(file, 'c', 500);
  assert.deepEqual(takeLock(file, 'c', holder(500), isAlive), holder(400), 'still 400s');
  releaseLock(file, 'c', 400);
  assert.equal(takeLock(file, 'c', holder(500), isAlive), null, 'free once given back');
});
