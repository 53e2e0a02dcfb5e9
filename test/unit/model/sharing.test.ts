/** Max-min sharing of bottlenecks (src/model/sharing.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxMinRates } from '../../../src/model/sharing.js';

test('max-min sharing: a shared bottleneck splits evenly, a capped flow leaves the rest to others', () => {
  const cap = new Map([
    ['up', 100],
    ['other', 1000],
  ]);
  assert.deepEqual(
    maxMinRates(
      [
        { resources: ['up'], cap: 1000 },
        { resources: ['up'], cap: 1000 },
      ],
      cap,
    ),
    [50, 50],
  );
  const rates = maxMinRates(
    [
      { resources: ['up'], cap: 20 },
      { resources: ['up'], cap: 1000 },
      { resources: ['other'], cap: 1000 },
      { resources: [], cap: 7 },
    ],
    cap,
  );
  assert.deepEqual(rates, [20, 80, 1000, 7]);
});
