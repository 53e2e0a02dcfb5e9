/**
 * The plan that removes a testbed: the ledger replayed in reverse. Pure.
 * Deleting a namespace destroys every interface and qdisc inside it (and the peer of each veth
 * that has one end there), so objects inside an owned namespace need no step of their own; an
 * object outside every owned namespace (none today) would get an explicit delete.
 */
import type { LedgerObject, Step } from './plan.js';

/** Steps that remove `objects` (ledger order), skipping namespaces that no longer exist. */
export function planDown(
  objects: readonly LedgerObject[],
  existingNetns: ReadonlySet<string>,
): Step[] {
  const owned = new Set(objects.flatMap((obj) => (obj.kind === 'netns' ? [obj.name] : [])));
  const steps: Step[] = [];
  const seen = new Set<string>();
  for (const obj of [...objects].reverse()) {
    if (obj.kind === 'netns') {
      if (!existingNetns.has(obj.name) || seen.has(obj.name)) continue;
      seen.add(obj.name);
      steps.push({
        argv: ['ip', 'netns', 'delete', obj.name],
        netns: obj.name,
        description: `remove namespace ${obj.name}`,
      });
    } else if (obj.kind === 'link' && !owned.has(obj.netns) && existingNetns.has(obj.netns)) {
      steps.push({
        argv: ['ip', '-n', obj.netns, 'link', 'delete', 'dev', obj.name],
        netns: obj.netns,
        description: `remove ${obj.name} from ${obj.netns}`,
      });
    }
  }
  return steps;
}

/** Steps that remove namespaces found by prefix (crash leftovers without a ledger). */
export function planRemoveNamespaces(names: readonly string[]): Step[] {
  return [...names]
    .sort()
    .reverse()
    .map((name) => ({
      argv: ['ip', 'netns', 'delete', name],
      netns: name,
      description: `remove leftover namespace ${name}`,
    }));
}
