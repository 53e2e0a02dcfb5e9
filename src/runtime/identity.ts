/**
 * Who a rank is and where its job meets, read from the environment: vmpath's launcher sets
 * VMPATH_*; under Open MPI's mpirun OMPI_COMM_WORLD_RANK/SIZE say it, under Slurm's srun
 * SLURM_PROCID/NTASKS (with VMPATH_NODES for where each node is), with VMPATH_RENDEZVOUS and
 * VMPATH_TOKEN given by whoever started the job.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmpathError } from '../core/errors.js';
import { addressTowards } from '../sys/route.js';
import { DATAPATHS, type Datapath } from '../topology/types.js';
import { parseRendezvous } from './rendezvous.js';

function number(env: NodeJS.ProcessEnv, names: string[], what: string): number {
  for (const name of names) {
    const text = env[name];
    if (text !== undefined && text !== '') {
      const value = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(value))
        throw new VmpathError(
          'E_RUNTIME_ENV',
          `${name}: got ${JSON.stringify(text)}; allowed: a whole number`,
          { details: { field: name, value: text } },
        );
      return value;
    }
  }
  throw new VmpathError(
    'E_RUNTIME_ENV',
    `the ${what} is unknown: set one of ${names.join(', ')} (vmpath launch, mpirun and srun do)`,
  );
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value)
    throw new VmpathError(
      'E_RUNTIME_ENV',
      `${name} is not set: start ranks with vmpath launch, or set it for mpirun/srun`,
    );
  return value;
}

/** The data path of this rank's vm (VMPATH_DATAPATH, set by vmpath launch; native without). */
export function datapathOf(env: NodeJS.ProcessEnv): Datapath {
  const text = env.VMPATH_DATAPATH;
  if (text === undefined || text === '') return 'native';
  if (!(DATAPATHS as readonly string[]).includes(text))
    throw new VmpathError(
      'E_RUNTIME_ENV',
      `VMPATH_DATAPATH: got ${JSON.stringify(text)}; allowed: ${DATAPATHS.join(', ')}`,
      { details: { field: 'VMPATH_DATAPATH', value: text } },
    );
  return text as Datapath;
}

/** The address this machine (or namespace) uses towards the rendezvous. */
async function ownAddress(rendezvous: string): Promise<string> {
  const where = parseRendezvous(rendezvous);
  return 'path' in where ? '127.0.0.1' : addressTowards(where.host, where.port);
}

/** Where each rank of the job is, for ranks started together by one launcher (srun) that
 * gives every rank the same variables: VMPATH_NODES lists the job's vms (address, host, data
 * path, rank count) and each rank's vm by index; this rank's (SLURM_PROCID) stands for
 * VMPATH_NODE, _ADDRESS, _HOST, _DATAPATH and _LOCAL_SIZE. */
export function withNodeTable(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const text = env.VMPATH_NODES;
  if (!text) return env;
  type Entry = {
    name?: string;
    address?: string;
    host?: string;
    datapath?: string;
    ranks?: number;
  };
  let table: { vms?: Entry[]; rankVm?: number[] };
  try {
    table = JSON.parse(text) as typeof table;
  } catch {
    throw new VmpathError('E_RUNTIME_ENV', 'VMPATH_NODES: not valid JSON');
  }
  const rank = number(env, ['VMPATH_RANK', 'SLURM_PROCID'], 'rank');
  const entry = table.vms?.[table.rankVm?.[rank] ?? -1];
  if (!entry?.name) throw new VmpathError('E_RUNTIME_ENV', `VMPATH_NODES: no vm for rank ${rank}`);
  return {
    ...env,
    VMPATH_NODE: env.VMPATH_NODE || entry.name,
    VMPATH_ADDRESS: env.VMPATH_ADDRESS || entry.address || '',
    VMPATH_HOST: env.VMPATH_HOST || entry.host || entry.name,
    VMPATH_DATAPATH: env.VMPATH_DATAPATH || entry.datapath || '',
    VMPATH_LOCAL_SIZE: env.VMPATH_LOCAL_SIZE || String(entry.ranks ?? ''),
  };
}

/** A short name for the job, from its token: names its folder and shared-memory pipes. */
export function jobKey(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

/** Who this rank is and where its job meets, from the environment (vmpath launch, mpirun or
 * srun set it). */
export async function identityOf(env: NodeJS.ProcessEnv) {
  const rank = number(
    env,
    ['VMPATH_RANK', 'OMPI_COMM_WORLD_RANK', 'PMIX_RANK', 'SLURM_PROCID'],
    'rank',
  );
  const size = number(env, ['VMPATH_SIZE', 'OMPI_COMM_WORLD_SIZE', 'SLURM_NTASKS'], 'job size');
  if (rank >= size)
    throw new VmpathError('E_RUNTIME_ENV', `rank ${rank} is not below the job size ${size}`);
  const token = required(env, 'VMPATH_TOKEN');
  const rendezvous = required(env, 'VMPATH_RENDEZVOUS');
  const address = env.VMPATH_ADDRESS || (await ownAddress(rendezvous));
  // Without VMPATH_NODE, the host name and address tell machines (and namespaces) apart.
  const vm = env.VMPATH_NODE || `${hostname()}/${address}`;
  const host = env.VMPATH_HOST || vm;
  const jobDir = env.VMPATH_JOB_DIR || join(tmpdir(), `vmpath-job-${jobKey(token)}`);
  mkdirSync(jobDir, { recursive: true });
  return { rank, size, token, rendezvous, address, vm, host, jobDir };
}
