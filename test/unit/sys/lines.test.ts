/** Chunks to lines (src/sys/lines.ts): a line split across chunks is handed on whole, once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineSplitter } from '../../../src/sys/lines.js';

test('lines split across chunks come out whole; the last one without a newline at the end', () => {
  const seen: string[] = [];
  const lines = lineSplitter((line) => seen.push(line));
  for (const chunk of ['ab', 'c\nde', 'f\n\ng', 'h']) lines.push(chunk);
  assert.deepEqual(seen, ['abc', 'def', '']);
  lines.end();
  assert.deepEqual(seen, ['abc', 'def', '', 'gh']);
  lines.end();
  assert.equal(seen.length, 4, 'nothing twice');
});
