import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandError, ErrorCodes, invalidField, VmpathError } from '../../../src/core/errors.js';
import { checkId, newId } from '../../../src/core/ids.js';

test('VmpathError: code, kind by area, details, cause', () => {
  const cause = new Error('low');
  const e = new VmpathError('E_TESTBED_APPLY', 'could not', { cause, details: { field: 'x' } });
  assert.equal(e.code, 'E_TESTBED_APPLY');
  assert.equal(e.kind, 'failure');
  assert.equal(e.cause, cause);
  assert.deepEqual(e.details, { field: 'x' });
  for (const code of Object.keys(ErrorCodes))
    assert.match(
      code,
      /^E_(SPEC|CLI|TESTBED|CLUSTER|BENCH|APP|RUNTIME|TRANSPORT|STORE|EXP|MODEL|SYS)_[A-Z_]+$/,
    );
});

test('invalidField names the field, the value and what is allowed', () => {
  const e = invalidField('E_CLI_USAGE', '--rate', 'fast', 'a number');
  assert.equal(e.message, '--rate: got "fast"; allowed: a number');
  assert.equal(e.kind, 'input');
  assert.deepEqual(e.details, { field: '--rate', value: 'fast', allowed: 'a number' });
});

test('CommandError pins argv, netns, exit code, stderr, duration and a readable message', () => {
  const e = new CommandError({
    argv: ['ip', '-n', 'ns', 'link'],
    netns: 'ns',
    exitCode: 2,
    stderr: 'RTNETLINK answers: File exists\n',
    durationMs: 3,
  });
  assert.deepEqual(
    {
      argv: e.argv,
      netns: e.netns,
      exitCode: e.exitCode,
      stderr: e.stderr,
      durationMs: e.durationMs,
      code: e.code,
    },
    {
      argv: ['ip', '-n', 'ns', 'link'],
      netns: 'ns',
      exitCode: 2,
      stderr: 'RTNETLINK answers: File exists\n',
      durationMs: 3,
      code: 'E_SYS_COMMAND',
    },
  );
  assert.equal(
    e.message,
    'command failed in netns ns (exit code 2): ip -n ns link: RTNETLINK answers: File exists',
  );
  assert.equal(e.shortMessage, 'RTNETLINK answers: File exists');
  assert.ok(e instanceof VmpathError);
});

test('ids: fresh ones are valid and differ; bad ones are refused naming --id', () => {
  const ids = new Set(Array.from({ length: 50 }, newId));
  assert.ok(ids.size > 45);
  for (const id of ids) assert.equal(checkId(id), id);
  for (const bad of ['', 'ABC', 'a-b', '123456789', 'x y'])
    assert.throws(() => checkId(bad), /--id: got/);
});

test('processAlive never treats 0 or a negative number (process groups) as a process', async () => {
  const { processAlive } = await import('../../../src/sys/tools.js');
  assert.equal(processAlive(process.pid), true);
  for (const pid of [0, -1, -process.pid, 1.5, Number.NaN])
    assert.equal(processAlive(pid), false, String(pid));
});
