/**
 * The models vmpath's predictions rest on, named, each with a one-line description and its
 * source. `vmpath predict --models` prints them. Pure.
 */
export interface ModelEntry {
  readonly name: string;
  readonly description: string;
  readonly source: string;
}

export const MODELS: readonly ModelEntry[] = [
  {
    name: 'loggp-piecewise',
    description:
      'per message class, one-way time a + G m on size segments chosen by fit error (L + 2o as a, G per byte; o from windowed streaming)',
    source:
      'LogGP: Alexandrov, Ionescu, Schauser and Scheiman, SPAA 1995; piecewise by size as in SimGrid SMPI (Degomme et al., IEEE TPDS 2017)',
  },
  {
    name: 'max-min-sharing',
    description:
      'flows of one step share each uplink direction and host bridge max-min fairly, capped by their class rate',
    source:
      'Bertsekas and Gallager, Data Networks, 1992; the flow model of SimGrid (Velho et al., TOMACS 2013)',
  },
  {
    name: 'pipeline-dag',
    description:
      'the advection steps per rank with the upwind dependencies: send, wait for the predecessors of the same step, compute',
    source: 'the solver in src/apps/advect/solve.ts',
  },
  {
    name: 'shared-machine',
    description:
      "on the emulated testbed every rank shares one machine: beyond the cores, a step takes the runtime's measured cost per message (per class, every slot busy; times a measured factor when classes mix) plus all kernels over the busy cores, a cell priced as that many processes sharing the cores pay it (they share the caches too), and a run adds its pipeline skew",
    source:
      'calibrated by vmpath calibrate: pipelines of 3 lengths on thin blocks per class at 3 rank counts, and in the hybrid layout',
  },
  {
    name: 'kl-bisection',
    description:
      'optimized placement: recursive bisection over hosts then vms, each cut refined with Kernighan-Lin swaps',
    source: 'Kernighan and Lin, Bell System Technical Journal, 1970',
  },
];
