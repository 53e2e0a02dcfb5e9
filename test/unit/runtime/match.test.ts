import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANY_SOURCE, ANY_TAG, Matcher } from '../../../src/runtime/match.js';

interface Recv {
  source: number;
  tag: number;
  name: string;
}
interface Msg {
  source: number;
  tag: number;
  seq: number;
}

test('a message waits unexpected until a receive wants it; a receive waits until a message comes', () => {
  const m = new Matcher<Recv, Msg>();
  assert.equal(m.arrive({ source: 1, tag: 3, seq: 0 }), null);
  assert.deepEqual(m.post({ source: 1, tag: 3, name: 'r1' }), { source: 1, tag: 3, seq: 0 });
  assert.equal(m.post({ source: 2, tag: 3, name: 'r2' }), null);
  assert.deepEqual(m.arrive({ source: 2, tag: 3, seq: 0 }), { source: 2, tag: 3, name: 'r2' });
  assert.deepEqual([m.posted.length, m.unexpected.length], [0, 0]);
});

test('non-overtaking: one source and tag are received in the order sent, other tags interleaved', () => {
  const m = new Matcher<Recv, Msg>();
  for (let seq = 0; seq < 5; seq++) {
    m.arrive({ source: 1, tag: seq % 2, seq });
  }
  const tag1 = [m.post({ source: 1, tag: 1, name: 'a' }), m.post({ source: 1, tag: 1, name: 'b' })];
  const tag0 = [0, 1, 2].map(() => m.post({ source: 1, tag: 0, name: 'c' }));
  assert.deepEqual(
    tag1.map((x) => x?.seq),
    [1, 3],
  );
  assert.deepEqual(
    tag0.map((x) => x?.seq),
    [0, 2, 4],
  );
});

test('ANY_SOURCE and ANY_TAG match in arrival order; posted receives are served in post order', () => {
  const m = new Matcher<Recv, Msg>();
  m.arrive({ source: 3, tag: 9, seq: 0 });
  m.arrive({ source: 1, tag: 2, seq: 0 });
  assert.equal(m.post({ source: ANY_SOURCE, tag: ANY_TAG, name: 'any' })?.source, 3);
  assert.equal(m.post({ source: ANY_SOURCE, tag: 2, name: 'anysrc' })?.source, 1);
  const first = { source: ANY_SOURCE, tag: ANY_TAG, name: 'first' };
  const specific = { source: 4, tag: 1, name: 'specific' };
  m.post(first);
  m.post(specific);
  assert.equal(m.arrive({ source: 4, tag: 1, seq: 0 }), first, 'the earlier posted receive wins');
  assert.equal(m.arrive({ source: 4, tag: 1, seq: 1 }), specific);
});

test('a cancelled receive no longer matches; leftovers are visible for finalize', () => {
  const m = new Matcher<Recv, Msg>();
  const r = { source: 0, tag: 0, name: 'r' };
  m.post(r);
  assert.equal(m.cancel(r), true);
  assert.equal(m.cancel(r), false);
  assert.equal(m.arrive({ source: 0, tag: 0, seq: 0 }), null);
  assert.deepEqual(m.unexpected, [{ source: 0, tag: 0, seq: 0 }]);
});

test("ANY_TAG never takes the runtime's own (negative) tags", () => {
  const m = new Matcher<Recv, Msg>();
  m.arrive({ source: 0, tag: -5, seq: 0 });
  assert.equal(m.post({ source: ANY_SOURCE, tag: ANY_TAG, name: 'user' }), null);
  assert.equal(m.post({ source: 0, tag: -5, name: 'internal' })?.tag, -5);
});
