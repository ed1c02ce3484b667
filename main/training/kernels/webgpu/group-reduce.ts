import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { webgpuKernelNames } from './names.js';
import { floats, ints, need, release, runFlat, sizeOf, type WebGpuBackendLike } from './program.js';

/**
 * Per-group reductions over every axis but the last, for batch norm and bias gradients:
 * a [G·M, …, C] viewed as [G, M, C] → [G, C]. tfjs's mean over leading axes transposes first,
 * which exceeds WebGPU's dispatch limits on large batches (64 px at batch 256, 128 px at 64);
 * here each reduction is at most two flat dispatches: partial sums over chunks of rows, spread
 * over enough invocations to fill a GPU, then the sum of the partials.
 *
 * Modes, with m = mean [G, C] and b shaped like a:
 *   mean:           mean(a)
 *   centredSquare:  mean((a − m)²)               (batch-norm variance, two-pass for precision)
 *   invStd:         1 / √(mean((a − m)²) + eps)  (batch norm's 1/σ, without two more dispatches)
 *   centredProduct: mean(a · (b − m))            (batch-norm backward: mean(dy · x̂·σ))
 *   sum:            sum(a)
 *   dot:            sum(a · b)                   (batch norm's γ gradient over the groups)
 * Every result is multiplied by the attribute `scale` (1 if absent) before invStd's root.
 */
export type GroupReduceMode = 'mean' | 'sum' | 'centredSquare' | 'invStd' | 'centredProduct' | 'dot';

export interface GroupReduceAttrs {
  groups: number;
  mode: GroupReduceMode;
  scale?: number;
  /** invStd's epsilon. */
  eps?: number;
}

const groupReduceKernelName = webgpuKernelNames.groupReduce;

/** Invocations the first pass aims for: enough to keep a GPU's cores busy. */
const targetInvocations = 16384;
/** Rows summed per invocation at least, so small tensors take one pass. */
const minRowsPerChunk = 16;

/** What a pass sums per row; the partials of a two-pass reduction are summed 'plain'. */
type Term = 'plain' | 'centredSquare' | 'centredProduct' | 'product';

const terms: Record<Term, { inputs: string[]; before: string; value: string }> = {
  plain: { inputs: ['a'], before: '', value: 's = s + a[at];' },
  centredSquare: {
    inputs: ['a', 'mean'],
    before: 'let m = mean[g * C + c];',
    value: 'let d = a[at] - m; s = s + d * d;',
  },
  centredProduct: {
    inputs: ['a', 'b', 'mean'],
    before: 'let m = mean[g * C + c];',
    value: 's = s + a[at] * (b[at] - m);',
  },
  product: { inputs: ['a', 'b'], before: '', value: 's = s + a[at] * b[at];' },
};

const modes: Record<GroupReduceMode, { term: Term; mean: boolean; root: boolean }> = {
  mean: { term: 'plain', mean: true, root: false },
  sum: { term: 'plain', mean: false, root: false },
  centredSquare: { term: 'centredSquare', mean: true, root: false },
  invStd: { term: 'centredSquare', mean: true, root: true },
  centredProduct: { term: 'centredProduct', mean: true, root: false },
  dot: { term: 'product', mean: false, root: false },
};

/** The inputs a mode reads, in the order its kernel takes them. */
export function groupReduceInputs(mode: GroupReduceMode): string[] {
  return terms[modes[mode].term].inputs;
}

/**
 * One pass: [G, M, C] → [G, P, C], each output the scaled sum of a chunk of R rows, or 1/√(that
 * + eps) with `root`.
 */
function pass(
  backend: WebGpuBackendLike,
  inputs: TensorInfo[],
  term: Term,
  [groups, rows, channels]: [number, number, number],
  chunks: number,
  { scale, root, eps }: { scale: number; root: boolean; eps: number },
): TensorInfo {
  const rowsPerChunk = Math.ceil(rows / chunks);
  const { before, value } = terms[term];
  return runFlat(
    backend,
    {
      key: `group-reduce-${term}${root ? '-root' : ''}`,
      outputShape: [groups, chunks, channels],
      inputs: terms[term].inputs,
      uniforms: 'C : i32, M : i32, P : i32, R : i32, scale : f32, eps : f32,',
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
        result[index] = ${root ? 'inverseSqrt(s * uniforms.scale + uniforms.eps)' : 's * uniforms.scale'};`,
    },
    groups * chunks * channels,
    inputs,
    [...ints(channels, rows, chunks, rowsPerChunk), ...floats(scale, eps)],
  );
}

/**
 * The reduction itself, for kernels that compose it (the filter gradient sums its partials
 * here). `inputs` follow groupReduceInputs(mode).
 */
export function groupReduce(
  backend: WebGpuBackendLike,
  inputs: TensorInfo[],
  mode: GroupReduceMode,
  groups: number,
  { scale = 1, eps = 0 }: { scale?: number; eps?: number } = {},
): TensorInfo {
  const { term, mean, root } = modes[mode];
  const a = inputs[0] as TensorInfo;
  const channels = a.shape[a.shape.length - 1] ?? 1;
  const rows = sizeOf(a.shape) / channels / groups;
  const finish = { scale: mean ? scale / rows : scale, root, eps };
  let chunks = Math.max(
    1,
    Math.min(Math.ceil(rows / minRowsPerChunk), Math.ceil(targetInvocations / (groups * channels))),
  );
  chunks = Math.ceil(rows / Math.ceil(rows / chunks));
  if (chunks === 1) {
    const out = pass(backend, inputs, term, [groups, rows, channels], 1, finish);
    return { ...out, shape: [groups, channels] };
  }
  const partial = pass(backend, inputs, term, [groups, rows, channels], chunks, {
    scale: 1,
    root: false,
    eps: 0,
  });
  const out = pass(backend, [partial], 'plain', [groups, chunks, channels], 1, finish);
  release(backend, partial);
  return { ...out, shape: [groups, channels] };
}

export const groupReduceConfig: KernelConfig = {
  kernelName: groupReduceKernelName,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) => {
    const { groups, mode, scale, eps } = attrs as unknown as GroupReduceAttrs;
    const ordered = need(inputs, groupReduceInputs(mode), `${groupReduceKernelName} (${mode})`);
    return groupReduce(backend as unknown as WebGpuBackendLike, ordered, mode, groups, { scale, eps });
  }) as KernelFunc,
};
