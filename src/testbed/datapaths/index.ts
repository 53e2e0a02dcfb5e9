/**
 * The data paths by name (record.ts): the one registry the planner, the runtime, the model and
 * the report read. A host's data path is the one its vms share (the spec forbids mixing ways of
 * reaching the uplink on one host).
 */
import type { Datapath, Host } from '../../topology/types.js';
import { bridged } from './bridged.js';
import { iov } from './iov.js';
import { native } from './native.js';
import type { DatapathRecord } from './record.js';
import { shm } from './shm.js';

export { type Channel, type DatapathRecord, type Ends, transportOf } from './record.js';

/** Every data path, in the order reports list them. */
export const DATAPATH_RECORDS: Readonly<Record<Datapath, DatapathRecord>> = {
  native,
  bridged,
  iov,
  shm,
};

/** The record of a data path. */
export function datapathRecord(name: Datapath): DatapathRecord {
  return DATAPATH_RECORDS[name];
}

/** The data path a host's vms share. */
export function hostDatapath(host: Host): Datapath {
  return host.vms[0]?.datapath ?? 'native';
}
