/**
 * bench reproduce-stability: are reproduce's verdicts a property of the machine or of one run?
 * Runs the default `vmpath reproduce` twice in a row (as the README's first command does, each
 * into a fresh folder), reads each one's stored runs back, checks the study's claims on each
 * (report/views/claims.ts) and compares the verdicts claim by claim. Prints both claim tables
 * and each run's wall time. `-- --quick` does the same with `--quick`.
 *
 * Target: the same verdict on every claim (differing claims <= 0).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../src/cli/table.js';
import type { Claim } from '../src/report/views/claims.js';
import { claimsIn, env, requireRoot, verdict } from './support.js';

requireRoot('reproduce-stability');
const quick = process.argv.includes('--quick');
const CLI = fileURLToPath(new URL('../../bin/vmpath.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vmpath-stability-'));

function reproduce(k: number): { claims: Claim[]; seconds: number } {
  const out = join(dir, `run${k}`);
  const begin = Date.now();
  const run = spawnSync(
    process.execPath,
    [CLI, 'reproduce', '--out', out, ...(quick ? ['--quick'] : [])],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, VMPATH_STATE_DIR: env.stateDir },
    },
  );
  if (run.status !== 0) {
    process.stderr.write(`bench reproduce-stability: reproduce run ${k} exited ${run.status}\n`);
    process.exit(1);
  }
  return { claims: claimsIn(out), seconds: (Date.now() - begin) / 1000 };
}

try {
  const first = reproduce(1);
  const second = reproduce(2);
  const rows = first.claims.map((c, i) => {
    const d = second.claims[i] as Claim;
    return [c.id, c.claim, c.verdict, d.verdict, c.verdict === d.verdict ? 'same' : 'DIFFERS'];
  });
  process.stdout.write(
    `\n${formatTable(['#', 'claim', 'run 1', 'run 2', ''], rows)}\n\n${[first, second]
      .map(
        (r, k) =>
          `run ${k + 1} (${r.seconds.toFixed(0)} s):\n${r.claims.map((c) => `  ${c.id} ${c.verdict}: ${c.ours}`).join('\n')}`,
      )
      .join('\n')}\n\n`,
  );
  const differing = rows.filter((r) => r[4] !== 'same').length;
  process.stdout.write(
    `${verdict('reproduce-stability', 'differing_claims', differing, '<=', 0)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
