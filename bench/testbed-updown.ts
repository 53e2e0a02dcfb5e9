/**
 * bench testbed-updown: how long `vmpath testbed up --preset paper` + `down` take, end to end
 * through the CLI (median of 5), against the same kernel objects built and removed by a plain
 * shell script of the same ip/tc commands (the floor: no Node, no ledger, no checks).
 * The two sides alternate. Target: up + down <= 3 s on the 2-core reference machine.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatTable } from '../src/cli/table.js';
import { isRoot } from '../src/sys/tools.js';
import { namespacesOf, planUp } from '../src/testbed/plan-up.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';

const run = promisify(execFile);
const ROUNDS = 5;
const TARGET_S = 3;
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'vmpath-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** Runs a command to its end (without blocking the event loop, where signals wait). */
async function seconds(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const begin = performance.now();
  try {
    await run(argv[0] ?? '', argv.slice(1), { encoding: 'utf8', env });
  } catch (error) {
    throw new Error(`${argv.join(' ')} failed: ${(error as { stderr?: string }).stderr}`);
  }
  return (performance.now() - begin) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The reference: the plan's own commands as a shell script, and a script removing its namespaces. */
function shellScripts(id: string): { up: string; down: string } {
  const steps = planUp(resolveTopology(presetSpec('paper')), id);
  const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
  const up = join(work, `up-${id}.sh`);
  const down = join(work, `down-${id}.sh`);
  writeFileSync(up, `set -e\n${steps.map((s) => s.argv.map(quote).join(' ')).join('\n')}\n`);
  writeFileSync(
    down,
    `${namespacesOf(steps)
      .reverse()
      .map((ns) => `ip netns delete ${ns}`)
      .join('\n')}\n`,
  );
  return { up, down };
}

if (!isRoot()) {
  process.stderr.write('bench testbed-updown: needs root (it builds real namespaces)\n');
  process.exit(2);
}

const env = { ...process.env, VMPATH_STATE_DIR: join(work, 'state') };
const rows: (string | number)[][] = [];
const totals: Record<'vmpath' | 'shell', number[]> = { vmpath: [], shell: [] };
// SIGINT or SIGTERM stops the bench after the command under way (a Ctrl-C at the terminal
// reaches that command too); whatever either side left is then removed: the CLI's testbeds by
// id and ledger (which live in `work`, removed last), the shell side's by its down script.
let stopped: string | null = null;
for (const name of ['SIGINT', 'SIGTERM'] as const)
  process.on(name, () => {
    stopped = name;
  });
const shellIds: string[] = [];
const vmpathIds: string[] = [];
try {
  await measure();
} catch (error) {
  // A Ctrl-C at the terminal reaches the CLI under way too, which then fails: that is the stop.
  if (!stopped) throw error;
} finally {
  // Only what this bench built: its own testbeds by id, its shell side's namespaces.
  for (const id of vmpathIds)
    spawnSync(process.execPath, [CLI, 'testbed', 'clean', '--id', id], { env, stdio: 'ignore' });
  for (const id of shellIds) spawnSync('sh', [shellScripts(id).down], { stdio: 'ignore' });
}
if (stopped) {
  process.stderr.write(`bench testbed-updown: stopped by ${stopped}; the testbeds were removed\n`);
  process.exit(stopped === 'SIGINT' ? 130 : 143);
}

async function measure(): Promise<void> {
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? (['vmpath', 'shell'] as const) : (['shell', 'vmpath'] as const);
    for (const side of order) {
      if (stopped) return;
      const id = `b${side[0]}${round}`;
      let upS: number;
      let downS: number;
      if (side === 'vmpath') {
        upS = await seconds(
          [process.execPath, CLI, 'testbed', 'up', '--preset', 'paper', '--id', id],
          env,
        );
        downS = await seconds([process.execPath, CLI, 'testbed', 'down', '--id', id], env);
      } else {
        const script = shellScripts(id);
        shellIds.push(id);
        upS = await seconds(['sh', script.up]);
        downS = await seconds(['sh', script.down]);
      }
      totals[side].push(upS + downS);
      rows.push([
        round,
        side,
        Number(upS.toFixed(3)),
        Number(downS.toFixed(3)),
        Number((upS + downS).toFixed(3)),
      ]);
    }
  }
}

const vmpathS = median(totals.vmpath);
const shellS = median(totals.shell);
process.stdout.write(`${formatTable(['round', 'side', 'up_s', 'down_s', 'total_s'], rows)}\n\n`);
process.stdout.write(
  `${formatTable(
    ['side', 'median up+down s'],
    [
      ['vmpath CLI (paper, bridged, 10 namespaces)', Number(vmpathS.toFixed(3))],
      ['shell script of the same ip/tc commands', Number(shellS.toFixed(3))],
    ],
  )}\n\n`,
);
process.stdout.write(`vmpath / shell: ${(vmpathS / shellS).toFixed(2)}x\n`);
process.stdout.write(
  `bench testbed-updown: updown_s=${vmpathS.toFixed(3)} target <= ${TARGET_S} ${vmpathS <= TARGET_S ? 'met' : 'missed'}\n`,
);
