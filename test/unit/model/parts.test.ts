/** The model's parts catalogue (src/model/parts.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MODEL_PARTS as MODELS } from '../../../src/model/parts.js';

test('the registry names each model with a description and a source', () => {
  assert.ok(MODELS.length >= 4);
  for (const m of MODELS) assert.ok(m.name && m.description.length > 20 && m.source.length > 5);
  assert.ok(MODELS.some((m) => /Alexandrov/.test(m.source)));
});
