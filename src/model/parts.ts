/**
 * The parts vmpath's model is made of, named, each with a one-line description and its source:
 * a catalogue for people (`vmpath predict --models` prints it), not a registry that selects
 * implementations. Pure.
 */
export interface ModelPart {
  readonly name: string;
  readonly description: string;
  readonly source: string;
}

export const MODEL_PARTS: readonly ModelPart[] = [
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
      "on the emulated testbed every rank shares one machine: beyond the cores, a step takes all the ranks' CPU over the busy cores: kernels (a cell priced as ranks sharing the cores paid it: they share the caches too), packing, and the runtime's measured CPU per message (per class and rank count, between thin and thick blocks by the depth behind the face); a run adds its pipeline skew",
    source:
      'calibrated by vmpath calibrate: pipelines of 2 lengths on thin and thick blocks per class, 5 face sizes, from as many ranks as cores to every slot, each rank timing its kernel',
  },
  {
    name: 'kl-bisection',
    description:
      'optimized placement: recursive bisection over hosts then vms, each cut refined with Kernighan-Lin swaps',
    source: 'Kernighan and Lin, Bell System Technical Journal, 1970',
  },
];
