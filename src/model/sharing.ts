/**
 * Max-min fair sharing of bandwidth among flows that cross shared resources (uplinks, host
 * bridges), by progressive filling: every unfrozen flow's rate rises together until a resource
 * saturates or a flow reaches its own cap; the flows through that bottleneck are frozen, and so
 * on (Bertsekas and Gallager, Data Networks, 1992; the flow model SimGrid uses). Pure.
 */

export interface Flow {
  /** The resources the flow crosses (names). */
  readonly resources: readonly string[];
  /** The flow's own cap in bytes per second (its end points' rate alone). */
  readonly cap: number;
}

/** Bytes per second of each flow. Resources absent from `capacity` do not constrain. */
export function maxMinRates(
  flows: readonly Flow[],
  capacity: ReadonlyMap<string, number>,
): number[] {
  const rate = new Float64Array(flows.length);
  const frozen = new Uint8Array(flows.length);
  const remaining = new Map(capacity);
  const users = new Map<string, number[]>();
  flows.forEach((f, i) => {
    for (const r of f.resources) {
      if (!capacity.has(r)) continue;
      const list = users.get(r);
      if (list) list.push(i);
      else users.set(r, [i]);
    }
  });
  // A flow through no constrained resource runs at its own cap.
  flows.forEach((f, i) => {
    if (!f.resources.some((r) => capacity.has(r))) {
      frozen[i] = 1;
      rate[i] = f.cap;
    }
  });
  const active = new Map<string, number>();
  for (const [r, list] of users) active.set(r, list.length);
  let left = flows.length - frozen.reduce((n, f) => n + f, 0);
  let level = 0;
  while (left > 0) {
    // The next increment: the tightest resource share or the lowest flow cap.
    let step = Number.POSITIVE_INFINITY;
    for (const [r, n] of active) if (n > 0) step = Math.min(step, (remaining.get(r) as number) / n);
    for (let i = 0; i < flows.length; i++)
      if (!frozen[i]) step = Math.min(step, (flows[i] as Flow).cap - level);
    if (!Number.isFinite(step)) break;
    step = Math.max(0, step);
    level += step;
    for (const [r, n] of active)
      if (n > 0) remaining.set(r, (remaining.get(r) as number) - step * n);
    const freeze: number[] = [];
    for (let i = 0; i < flows.length; i++) {
      if (frozen[i]) continue;
      const f = flows[i] as Flow;
      const saturated = f.resources.some(
        (r) => active.has(r) && (remaining.get(r) as number) <= 1e-9 * (capacity.get(r) as number),
      );
      if (saturated || f.cap - level <= 1e-9 * f.cap) freeze.push(i);
    }
    if (freeze.length === 0) break;
    for (const i of freeze) {
      frozen[i] = 1;
      rate[i] = level;
      left--;
      for (const r of (flows[i] as Flow).resources)
        if (active.has(r)) active.set(r, (active.get(r) as number) - 1);
    }
  }
  for (let i = 0; i < flows.length; i++) if (!frozen[i]) rate[i] = level;
  return [...rate];
}
