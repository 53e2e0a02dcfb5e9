import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import {
  REMOTE_SHELL,
  REMOTE_SHELL_WITH_INPUT,
  shellQuote,
  sshLauncher,
} from '../../../src/cluster/launcher.js';
import type { TestbedNode } from '../../../src/testbed/nodes.js';

const node: TestbedNode = {
  role: 'vm',
  name: 'vm1',
  host: 'h0',
  netns: '',
  datapath: 'iov',
  address: '10.0.0.11',
};
const access = { h0: { user: 'alice', port: 2222, identityFile: '/k/id', knownHosts: '/k/known' } };

describe('the ssh launcher', () => {
  test("ssh with the inventory's key and known hosts only, never a prompt; the variables on stdin, not in argv", () => {
    const placed = sshLauncher(access, '/work dir').place(node, ['node', 'app.mjs', "it's"], {
      VMPATH_TOKEN: 'secret token',
    });
    const [ssh, ...args] = placed.argv;
    assert.equal(ssh, 'ssh');
    for (const option of [
      '-F none',
      '-p 2222',
      '-i /k/id',
      '-o IdentitiesOnly=yes',
      '-o UserKnownHostsFile=/k/known',
      '-o StrictHostKeyChecking=yes',
      '-o BatchMode=yes',
    ])
      assert.ok(args.join(' ').includes(option), option);
    assert.equal(args.at(-2), 'alice@10.0.0.11');
    assert.ok(!placed.argv.join(' ').includes('secret'), 'the token is in no argv');
    assert.equal(
      placed.stdin,
      "export VMPATH_TOKEN='secret token'; cd '/work dir' 2>/dev/null || cd\n",
    );
  });

  test('words survive the remote shell as they were', () => {
    for (const word of ['plain', 'with space', "it's", '$HOME', 'a"b', '', '*', 'x\ny']) {
      const out = spawnSync('sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' });
      assert.equal(out.stdout, word);
    }
  });

  test('the remote shell: the setup line, then the command with the session input; it exits as the command did', async () => {
    // The session's input stays open while the command runs, as ssh's does.
    const child = spawn('sh', [
      '-c',
      REMOTE_SHELL,
      'vmpath',
      'sh',
      '-c',
      'echo "$GREETING $(pwd)"; exit 3',
    ]);
    child.stdin.write("export GREETING='hi there'; cd /tmp\n");
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const status = await new Promise<number | null>((resolve) =>
      child.on('close', (c) => resolve(c)),
    );
    assert.equal(out, 'hi there /tmp\n');
    assert.equal(status, 3);
    const copy = spawnSync('sh', ['-c', REMOTE_SHELL_WITH_INPUT, 'vmpath', 'cat'], {
      input: 'cd /\npayload',
      encoding: 'utf8',
    });
    assert.equal(copy.stdout, 'payload');
  });

  test('when the session input closes (vmpath or its ssh went away), the command is ended', async () => {
    const child = spawn('sh', ['-c', REMOTE_SHELL, 'vmpath', 'sleep', '60'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.stdin.write('cd /\n');
    const began = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 143, 'sleep ended by SIGTERM');
    assert.ok(performance.now() - began < 20_000);
  });
});
