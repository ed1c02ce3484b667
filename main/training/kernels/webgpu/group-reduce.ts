import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { webgpuKernelNames } from './names.js';
import { floats, ints, release, runFlat, sizeOf, type WebGpuBackendLike } from './program.js';

/**
 * Per-group reductions over every axis but the last, for batch norm and bias gradients:
 * a [G·M, …, C] viewed as [G, M, C] → [G, C]. tfjs's mean over leading axes transposes first,
 * which exceeds WebGPU's dispatch limits on large batches (64 px at batch 256, 128 px at 64);
 * here each reduction is at most two flat dispatches: partial sums over chunks of rows, spread
 * over enough invocations to fill a GPU, then the sum of the partials.
 *
 * Modes, with m = mean [G, C] and b shaped like a:
 *   mean:           mean(a)
 *   centredSquare:  mean((a − m)²)        (batch-norm variance, two-pass for precision)
 *   centredProduct: mean(a · (b − m))     (batch-norm backward: mean(dy · x̂·σ))
 *   sum:            sum(a)
 */
export type GroupReduceMode = 'mean' | 'centredSquare' | 'centredProduct' | 'sum';

export interface GroupReduceAttrs {
  groups: number;
  mode: GroupReduceMode;
}

const groupReduceKernelName = webgpuKernelNames.groupReduce;

/** Invocations the first pass aims for: enough to keep a GPU's cores busy. */
const targetInvocations = 16384;
/** Rows summed per invocation at least, so small tensors take one pass. */
const minRowsPerChunk = 16;

function term(mode: GroupReduceMode): { before: string; value: string } {
  switch (mode) {
    case 'centredSquare':
      return { before: 'let m = mean[g * C + c];', value: 'let d = a[at] - m; s = s + d * d;' };
    case 'centredProduct':
      return { before: 'let m = mean[g * C + c];', value: 's = s + a[at] * (b[at] - m);' };
    default:
      return { before: '', value: 's = s + a[at];' };
  }
}

function inputsOf(mode: GroupReduceMode): string[] {
  if (mode === 'centredSquare') return ['a', 'mean'];
  if (mode === 'centredProduct') return ['a', 'b', 'mean'];
  return ['a'];
}

/** One pass: [G, M, C] → [G, P, C], each output the scaled sum of a chunk of R rows. */
function pass(
  backend: WebGpuBackendLike,
  inputs: TensorInfo[],
  mode: GroupReduceMode,
  [groups, rows, channels]: [number, number, number],
  chunks: number,
  scale: number,
): TensorInfo {
  const rowsPerChunk = Math.ceil(rows / chunks);
  const { before, value } = term(mode);
  return runFlat(
    backend,
    {
      key: `group-reduce-${mode === 'sum' ? 'mean' : mode}`,
      outputShape: [groups, chunks, channels],
      inputs: inputsOf(mode),
      uniforms: 'C : i32, M : i32, P : i32, R : i32, scale : f32,',
      code: `
        let C = uniforms.C;
        let c = index % C;
        let gp = index / C;
        let p = gp % uniforms.P;
        let g = gp / uniforms.P;
        let r0 = p * uniforms.R;
        let r1 = min(uniforms.M, r0 + uniforms.R);
        ${before}
        var s = 0.0;
        var at = (g * uniforms.M + r0) * C + c;
        for (var r = r0; r < r1; r = r + 1) {
          ${value}
          at = at + C;
        }
        result[index] = s * uniforms.scale;`,
    },
    groups * chunks * channels,
    inputs,
    [...ints(channels, rows, chunks, rowsPerChunk), ...floats(scale)],
  );
}

/**
 * The reduction itself, for kernels that compose it (the filter gradient sums its partials
 * here). `inputs` follow the mode: [a], [a, mean] or [a, b, mean].
 */
export function groupReduce(
  backend: WebGpuBackendLike,
  inputs: TensorInfo[],
  mode: GroupReduceMode,
  groups: number,
): TensorInfo {
  const a = inputs[0] as TensorInfo;
  const channels = a.shape[a.shape.length - 1] ?? 1;
  const rows = sizeOf(a.shape) / channels / groups;
  const finalScale = mode === 'sum' ? 1 : 1 / rows;
  let chunks = Math.max(
    1,
    Math.min(Math.ceil(rows / minRowsPerChunk), Math.ceil(targetInvocations / (groups * channels))),
  );
  chunks = Math.ceil(rows / Math.ceil(rows / chunks));
  if (chunks === 1) {
    const out = pass(backend, inputs, mode, [groups, rows, channels], 1, finalScale);
    return { ...out, shape: [groups, channels] };
  }
  const partial = pass(backend, inputs, mode, [groups, rows, channels], chunks, 1);
  const out = pass(backend, [partial], 'sum', [groups, chunks, channels], 1, finalScale);
  release(backend, partial);
  return { ...out, shape: [groups, channels] };
}

export const groupReduceConfig: KernelConfig = {
  kernelName: groupReduceKernelName,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) => {
    const { groups, mode } = attrs as unknown as GroupReduceAttrs;
    const ordered = inputsOf(mode).map((name) => {
      const t = inputs[name];
      if (t === undefined) throw new Error(`${groupReduceKernelName} (${mode}) needs input ${name}.`);
      return t;
    });
    return groupReduce(backend as unknown as WebGpuBackendLike, ordered, mode, groups);
  }) as KernelFunc,
};
