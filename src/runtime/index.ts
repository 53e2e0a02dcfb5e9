/**
 * vmpath's MPI-style runtime, the module applications import (`import { init } from
 * 'vmpath/runtime'`). See README, "The runtime".
 */
export { ANY_SOURCE, ANY_TAG, type Received, type Request } from './comm.js';
export { type InitOptions, init, isRuntimeError } from './init.js';
export { type ReduceOp, World } from './world.js';
