// The smallest job of vmpath's runtime: every rank joins, meets the others once, and leaves;
// rank 0 says how many there were (bench launchers).
import { init } from 'vmpath/runtime';

const world = await init();
await world.barrier();
if (world.rank === 0) console.log(`hello from ${world.size} ranks`);
await world.finalize();
