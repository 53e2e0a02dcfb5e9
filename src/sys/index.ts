/**
 * The only module that starts processes or asks the OS about them.
 */
export { type Command, inNetns } from './command.js';
export {
  type CommandResult,
  CommandRunner,
  type RunOptions,
  type Started,
  type StartOptions,
} from './runner.js';
export { findExecutable, isRoot, processAlive, processCmdline, signalProcess } from './tools.js';
