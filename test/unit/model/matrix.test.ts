/** Communication matrices (src/model/matrix.ts): the launch/profile file, pml monitoring. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMatrix, parseMonitoring } from '../../../src/model/matrix.js';

test('matrices: the launch/profile file checked; pml monitoring lines imported', () => {
  const good = { ranks: 2, matrix: [{ from: 0, to: 1, messages: 3, bytes: 24 }] };
  assert.equal(parseMatrix(good, 'm.json').matrix.length, 1);
  const bad = (raw: unknown, re: RegExp, ranks?: number) =>
    assert.throws(
      () => parseMatrix(raw, 'm.json', ranks),
      (e: Error & { kind?: string }) => e.kind === 'input' && re.test(e.message),
      re.source,
    );
  bad(good, /m\.json: ranks: got 2; allowed: 16 \(the rank count asked for with -n\)/, 16);
  bad(
    { ranks: 2, matrix: [{ from: 0, to: 2, messages: 1, bytes: 1 }] },
    /matrix\.0\.to: got 2; allowed: a rank from 0 to 1/,
  );
  bad(
    { ranks: 2, matrix: [{ from: 0, to: 1, messages: 1, bytes: -5 }] },
    /matrix\.0\.bytes: got -5; allowed: a whole number >= 0/,
  );
  bad({ ranks: 0, matrix: [] }, /ranks: got 0/);
  bad([], /ranks: got/);
  const m = parseMonitoring([
    {
      rank: 0,
      text: '# POINT TO POINT\nE\t0\t1\t264000 bytes\t8804 msgs sent\t4,0\n# COLLECTIVES\nC\t0\t1\t0 bytes\t4 msgs sent\n',
    },
    { rank: 1, text: '# POINT TO POINT\nE\t1\t0\t264000 bytes\t8804 msgs sent\t4,0\n' },
  ]);
  assert.deepEqual(m, {
    ranks: 2,
    matrix: [
      { from: 0, to: 1, messages: 8804, bytes: 264000 },
      { from: 1, to: 0, messages: 8804, bytes: 264000 },
    ],
  });
  assert.throws(() => parseMonitoring([]), /no pml monitoring file/);
});
