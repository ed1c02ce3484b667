import type { TensorInfo } from '@tensorflow/tfjs-core';
import { webgpuKernelNames } from './names.js';
import { elementwiseKernelConfig, ints, sizeOf } from './program.js';

/**
 * Batch norm's element-wise halves as one dispatch each, for x [G·M, …, C] in G groups with
 * per-group statistics [G, C] (the statistics themselves come from group-reduce.ts):
 *   apply: y  = (x − mean) · γ/σ + β
 *   grad:  dx = γ/σ · (dy − mean(dy) − (x − mean)/σ² · mean(dy·(x − mean)))
 * with mean, 1/σ, mean(dy) and mean(dy·(x − mean)) [G, C] and γ, β [C]: the input gradient of
 * batch norm in training mode. tfjs would run five and about ten broadcast ops for these.
 */

export interface BatchNormAttrs {
  groups: number;
}

/** Group and channel of element `index`, for the code below. */
const coordinates = `
  let C = uniforms.C;
  let c = index % C;
  let gc = (index / uniforms.groupSize) * C + c;`;

/** C and the elements per group, from x (or dy, shaped alike) in `groups` groups. */
const groupUniforms = {
  fields: 'C : i32, groupSize : i32,',
  values: ({ groups }: BatchNormAttrs, x: TensorInfo) =>
    ints(x.shape[x.shape.length - 1] ?? 1, sizeOf(x.shape) / groups),
};

export const batchNormApplyConfig = elementwiseKernelConfig<BatchNormAttrs>({
  kernelName: webgpuKernelNames.batchNormApply,
  inputs: ['x', 'mean', 'invStd', 'gamma', 'beta'],
  key: () => 'batch-norm-apply',
  uniforms: groupUniforms,
  code: () => `${coordinates}
    result[index] = (x[index] - mean[gc]) * (invStd[gc] * gamma[c]) + beta[c];`,
});

export const batchNormGradConfig = elementwiseKernelConfig<BatchNormAttrs>({
  kernelName: webgpuKernelNames.batchNormGrad,
  inputs: ['dy', 'x', 'mean', 'invStd', 'gamma', 'meanDy', 'meanDyXc'],
  key: () => 'batch-norm-grad',
  uniforms: groupUniforms,
  code: () => `${coordinates}
    let s = invStd[gc];
    let centred = x[index] - mean[gc];
    result[index] = gamma[c] * s * (dy[index] - meanDy[gc] - centred * s * s * meanDyXc[gc]);`,
});
