/**
 * Turns among jobs measuring one machine together: round-robin, a finished or failed job
 * skipped, and the turn kept by a job between its measurements.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Turns } from '../../../src/experiment/turns.js';

/** Job `name` takes `count` measurements, each logged at its start and end, pausing `ms`. */
async function job(turns: Turns, index: number, count: number, log: string[], ms = 1) {
  try {
    for (let k = 0; k < count; k++)
      await turns.of(index).run(async () => {
        log.push(`${index}.${k}<`);
        await sleep(ms);
        log.push(`${index}.${k}>`);
      });
  } finally {
    turns.leave(index);
  }
}

test('three jobs take their k-th measurements back to back, one at a time', async () => {
  const turns = new Turns(3);
  const log: string[] = [];
  // Job 2 is slowest to start measuring, and each job's measurements take different times.
  await Promise.all([job(turns, 2, 3, log, 3), job(turns, 0, 3, log, 1), job(turns, 1, 3, log, 2)]);
  const starts = log.filter((e) => e.endsWith('<')).map((e) => e.slice(0, -1));
  assert.deepEqual(starts, ['0.0', '1.0', '2.0', '0.1', '1.1', '2.1', '0.2', '1.2', '2.2']);
  // Never two at once: every start follows the previous end.
  for (let i = 1; i < log.length; i += 2) assert.match(log[i] as string, />$/);
});

test('a job that finishes early or fails is skipped; the others go on in turn', async () => {
  const turns = new Turns(3);
  const log: string[] = [];
  const failing = (async () => {
    try {
      await turns.of(1).run(() => {
        log.push('1.0<');
        throw new Error('no testbed');
      });
    } finally {
      turns.leave(1);
    }
  })();
  await Promise.all([
    job(turns, 0, 3, log),
    assert.rejects(failing, /no testbed/),
    job(turns, 2, 1, log),
  ]);
  const starts = log.filter((e) => e.endsWith('<')).map((e) => e.slice(0, -1));
  assert.deepEqual(starts, ['0.0', '1.0', '2.0', '0.1', '0.2']);
});

test('the turn waits for a job working between its measurements: strict alternation', async () => {
  const turns = new Turns(2);
  const log: string[] = [];
  const fitting = (async () => {
    try {
      await turns.of(0).run(() => log.push('0.0<'));
      await sleep(20); // fitting, not measuring
      await turns.of(0).run(() => log.push('0.1<'));
    } finally {
      turns.leave(0);
    }
  })();
  await Promise.all([fitting, job(turns, 1, 3, log)]);
  assert.deepEqual(
    log.filter((e) => e.endsWith('<')),
    ['0.0<', '1.0<', '0.1<', '1.1<', '1.2<'],
  );
});

test('turns among fewer than one job, or a job out of range, are refused', () => {
  assert.throws(() => new Turns(0), /allowed: 1 or more/);
  assert.throws(() => new Turns(2).of(2), /job 2 of 2/);
});
