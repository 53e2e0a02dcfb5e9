import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ledger } from '../../../src/testbed/ledger.js';
import { tempDir } from '../../support/temp.js';

test('the ledger keeps objects and processes in order and survives a torn last line', () => {
  const path = join(tempDir('ledger-'), 'ledger.jsonl');
  const ledger = new Ledger(path);
  assert.deepEqual(ledger.read(), []);
  ledger.object({ kind: 'netns', name: 'vmp-a-h' });
  ledger.process(1234, ['ip', 'netns', 'add', 'vmp-a-h']);
  ledger.object({ kind: 'link', netns: 'vmp-a-h', name: 'up0' });
  appendFileSync(path, '{"t":"obj","obj":{"kind":"net');
  assert.deepEqual(ledger.objects(), [
    { kind: 'netns', name: 'vmp-a-h' },
    { kind: 'link', netns: 'vmp-a-h', name: 'up0' },
  ]);
  assert.deepEqual(ledger.read()[1], {
    t: 'proc',
    pid: 1234,
    argv: ['ip', 'netns', 'add', 'vmp-a-h'],
  });
});
