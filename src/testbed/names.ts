/**
 * Every kernel-visible name the testbed uses is built here, and only here.
 *
 * Namespaces: `vmp-<id>-<host>`, `vmp-<id>-<host>-<vm>`, `vmp-<id>-<switch>` (DESIGN.md section 3).
 * Ids and node names never contain '-', so `vmp-<id>-` names exactly one testbed's objects.
 * Interfaces live inside those namespaces, never in the root namespace, so their names only need
 * to be unique per namespace; they obey IFNAMSIZ (15 characters):
 *   up0      a host's uplink (its end of the cable, or of its veth to the switch)
 *   br0      the Linux bridge of a host (bridged) or of the switch
 *   eth0     a vm's interface (veth end for bridged, macvlan "VF" for iov)
 *   v-<vm>   the host end of a bridged vm's veth: a port of the host bridge (backend: kernel),
 *            or the port the dom0 backend reads and writes (backend: user)
 *   t-<vm>   the tap of a bridged vm on the host bridge (backend: user; Xen's vifN.M)
 *   p-<host> the switch end of a host's uplink, a port of the switch bridge
 */
import { invalidField } from '../core/errors.js';

/** Prefix of every namespace vmpath creates. */
export const PREFIX = 'vmp';
/** Linux's IFNAMSIZ is 16 including the terminating NUL. */
export const IFNAME_MAX = 15;

export const UPLINK = 'up0';
export const BRIDGE = 'br0';
export const VM_IF = 'eth0';

/** The prefix shared by every namespace of testbed `id`. */
export function netnsPrefix(id: string): string {
  return `${PREFIX}-${id}-`;
}

export function hostNetns(id: string, host: string): string {
  return `${netnsPrefix(id)}${host}`;
}

export function vmNetns(id: string, host: string, vm: string): string {
  return `${netnsPrefix(id)}${host}-${vm}`;
}

export function switchNetns(id: string, name: string): string {
  return `${netnsPrefix(id)}${name}`;
}

/** Checks an interface name against IFNAMSIZ; `owner` says which spec field it comes from. */
export function ifname(name: string, owner: string): string {
  if (name.length > IFNAME_MAX) {
    throw invalidField(
      'E_SPEC_INVALID',
      owner,
      name,
      `a name that keeps interface names within ${IFNAME_MAX} characters (Linux IFNAMSIZ); interface ${JSON.stringify(name)} would be ${name.length}`,
    );
  }
  return name;
}

/** The host-side veth of a bridged vm. */
export function vmPort(vm: string, owner: string): string {
  return ifname(`v-${vm}`, owner);
}

/** The tap of a bridged vm behind the dom0 backend: a port of the host bridge. */
export function vmTap(vm: string, owner: string): string {
  return ifname(`t-${vm}`, owner);
}

/** The switch-side veth of a host's uplink. */
export function switchPort(host: string, owner: string): string {
  return ifname(`p-${host}`, owner);
}
