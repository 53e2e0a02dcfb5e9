/**
 * The topology spec as users write it (YAML or JSON), as a zod schema. Pure.
 * Each field's error text is what is allowed; `resolve.ts` adds the field path and the value.
 * Unknown fields are refused, so a typo never silently falls back to a default.
 */
import { z } from 'zod';
import { DATAPATHS, DOM0_BACKENDS, IOV_MODES } from './types.js';

/** Names of hosts, vms and the switch: they become parts of namespace and interface names. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
export const NAME_MAX = 32;
const nameRule = `a name of 1 to ${NAME_MAX} characters: a lower-case letter, then lower-case letters, digits or '_'`;

const name = z
  .string({ error: nameRule })
  .max(NAME_MAX, { error: nameRule })
  .regex(NAME_PATTERN, { error: nameRule });

const datapath = z.enum(DATAPATHS as [string, ...string[]], {
  error: `one of ${DATAPATHS.join(', ')}`,
});

const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `${what}: an integer from 1 to ${max}` })
    .int({ error: `${what}: an integer from 1 to ${max}` })
    .min(1, { error: `${what}: an integer from 1 to ${max}` })
    .max(max, { error: `${what}: an integer from 1 to ${max}` });

const iov = z.strictObject({
  mode: z
    .enum(IOV_MODES as [string, ...string[]], { error: `one of ${IOV_MODES.join(', ')}` })
    .optional(),
  maxVfs: positiveInt('virtual functions per uplink', 4096).optional(),
});

const uplink = z.strictObject({
  rateMbit: z
    .number({
      error: 'a rate in Mbit/s greater than 0 and at most 400000 (omit it for no shaping)',
    })
    .gt(0, { error: 'a rate in Mbit/s greater than 0 and at most 400000 (omit it for no shaping)' })
    .max(400_000, {
      error: 'a rate in Mbit/s greater than 0 and at most 400000 (omit it for no shaping)',
    })
    .optional(),
  burstBytes: positiveInt('tbf burst in bytes', 1 << 30).optional(),
  delayMs: z
    .number({ error: 'a one-way delay in ms from 0 to 10000' })
    .min(0, { error: 'a one-way delay in ms from 0 to 10000' })
    .max(10_000, { error: 'a one-way delay in ms from 0 to 10000' })
    .optional(),
});

const cpus = (what: string) =>
  z
    .number({ error: `${what}: a number of cores greater than 0 and at most 1024` })
    .gt(0, { error: `${what}: a number of cores greater than 0 and at most 1024` })
    .max(1024, { error: `${what}: a number of cores greater than 0 and at most 1024` });

/** A host's privileged domain: how its bridged vms' frames cross it, and its CPU budget. */
const dom0 = z.strictObject({
  backend: z
    .enum(DOM0_BACKENDS as [string, ...string[]], { error: `one of ${DOM0_BACKENDS.join(', ')}` })
    .optional(),
  cpus: z
    .union([cpus('dom0 CPU budget'), z.string().regex(/^(\d{1,2}(\.\d+)?)%$/)], {
      error: "dom0's CPU budget: a number of cores, or a share of the host's cores such as '25%'",
    })
    .optional(),
});

const vm = z.strictObject({
  name,
  slots: positiveInt('vCPUs', 1024),
  datapath: datapath.optional(),
});

const host = z.strictObject({
  name,
  cpus: cpus('cores of this host').optional(),
  dom0: dom0.optional(),
  uplink: uplink.optional(),
  iov: iov.optional(),
  vms: z
    .array(vm, { error: 'a list of vms' })
    .min(1, { error: 'at least one vm per host' })
    .max(256, {
      error: 'at most 256 vms per host',
    }),
});

/** The raw spec. Everything but `hosts` has a default. */
export const topologySchema = z.strictObject({
  name: name.optional(),
  description: z.string({ error: 'text' }).max(500, { error: 'at most 500 characters' }).optional(),
  datapath: datapath.optional(),
  iov: iov.optional(),
  dom0: dom0.optional(),
  addressing: z
    .strictObject({ subnet: z.string({ error: 'an IPv4 CIDR block inside 198.18.0.0/15' }) })
    .optional(),
  switch: z
    .union([z.boolean(), z.strictObject({ name })], { error: 'true, false or { name }' })
    .optional(),
  hosts: z
    .array(host, { error: 'a list of hosts' })
    .min(1, { error: 'at least one host' })
    .max(64, {
      error: 'at most 64 hosts',
    }),
});

export type TopologyInput = z.infer<typeof topologySchema>;
