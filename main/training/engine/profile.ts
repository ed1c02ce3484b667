import * as tf from '@tensorflow/tfjs-core';

/** One kernel's share of a profiled piece of work. */
export interface KernelTime {
  name: string;
  calls: number;
  /** Kernel time as the backend reports it (GPU time on webgpu with timestamp queries). */
  ms: number;
}

/**
 * Kernel calls and time of `work` (one training step, say), by kernel, slowest first: what the
 * benchmarks print to show where a step's time goes.
 */
export async function profileKernels(work: () => Promise<unknown>): Promise<KernelTime[]> {
  const info = await tf.profile(async () => {
    await work();
  });
  const byKernel = new Map<string, KernelTime>();
  for (const k of info.kernels) {
    // Ops that wrap a kernel (fused.conv2d's custom-gradient scope) appear too: count kernels only.
    if (k.name.endsWith('__op')) continue;
    const entry = byKernel.get(k.name) ?? { name: k.name, calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byKernel.set(k.name, entry);
  }
  return [...byKernel.values()].sort((a, b) => b.ms - a.ms);
}
