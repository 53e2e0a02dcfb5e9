#!/usr/bin/env node
/**
 * Builds the shared-memory addon (native/shm.c) into dist/native/vmpath_shm.node with the C
 * compiler and the headers of the Node.js that runs this script (no node-gyp, no download),
 * and the emulated Dom0 backend (native/dom0.c) into dist/native/vmpath-dom0.
 * Without a compiler it says so and succeeds: the local transport then sends payloads inline
 * on its Unix sockets (slower; `npm run bench:osu-local` shows by how much), and testbeds whose
 * bridged vms need the user-space backend are refused with a message saying why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(root, 'native', 'shm.c');
const output = join(root, 'dist', 'native', 'vmpath_shm.node');
const backendSource = join(root, 'native', 'dom0.c');
const backendOutput = join(root, 'dist', 'native', 'vmpath-dom0');
const include = process.env.npm_config_nodedir
  ? join(process.env.npm_config_nodedir, 'include', 'node')
  : join(dirname(dirname(process.execPath)), 'include', 'node');
const compiler = process.env.CC || 'cc';

function skip(why) {
  process.stderr.write(
    `vmpath: shared-memory addon and dom0 backend not built (${why}); the local transport will send payloads inline, and bridged vms need backend: kernel\n`,
  );
  process.exit(0);
}

function compile(argv) {
  const result = spawnSync(compiler, argv, { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`vmpath: ${compiler} ${argv.join(' ')} failed\n`);
    process.exit(1);
  }
}

if (!existsSync(join(include, 'node_api.h')))
  skip(`no Node.js headers in ${include}; set npm_config_nodedir`);
if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).error)
  skip(`no C compiler: install gcc or set CC`);
mkdirSync(dirname(output), { recursive: true });
const argv = [
  '-O2',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-shared',
  '-fPIC',
  `-I${include}`,
  '-DNODE_GYP_MODULE_NAME=vmpath_shm',
  '-o',
  output,
  source,
];
compile(argv);
compile(['-O2', '-Wall', '-Wextra', '-Werror', '-o', backendOutput, backendSource]);
