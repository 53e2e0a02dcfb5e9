/**
 * The bench tools by name.
 */
import { iperf3Tool } from './iperf3.js';
import type { BenchTool } from './tool.js';
import { vmpathTool } from './vmpath.js';

export const BENCH_TOOLS: Readonly<Record<'vmpath' | 'iperf3', BenchTool>> = {
  vmpath: vmpathTool,
  iperf3: iperf3Tool,
};
export type ToolName = keyof typeof BENCH_TOOLS;
export type { BenchEnv, BenchTool, ToolOptions, ToolSession } from './tool.js';
