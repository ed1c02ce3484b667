import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { webgpuKernelNames } from './names.js';
import { ints, runFlat, sizeOf, type WebGpuBackendLike } from './program.js';

/**
 * Batch norm's element-wise halves as one dispatch each, for x [G·M, …, C] in G groups with
 * per-group statistics [G, C] (the statistics themselves come from group-reduce.ts):
 *   apply: y  = (x − mean) · γ/σ + β
 *   grad:  dx = γ/σ · (dy − mean(dy) − (x − mean)/σ² · mean(dy·(x − mean)))
 * with mean, 1/σ, mean(dy) and mean(dy·(x − mean)) [G, C] and γ, β [C]: the input gradient of
 * batch norm in training mode. tfjs would run five and about ten broadcast ops for these.
 */

const batchNormApplyKernelName = webgpuKernelNames.batchNormApply;
const batchNormGradKernelName = webgpuKernelNames.batchNormGrad;

export interface BatchNormAttrs {
  groups: number;
}

function need(inputs: Record<string, TensorInfo | undefined>, names: string[], kernel: string): TensorInfo[] {
  return names.map((name) => {
    const t = inputs[name];
    if (t === undefined) throw new Error(`${kernel} needs input ${name}.`);
    return t;
  });
}

/** Group and channel of element `index`, for the code below. */
const coordinates = `
  let C = uniforms.C;
  let c = index % C;
  let gc = (index / uniforms.groupSize) * C + c;`;

function run(
  backend: WebGpuBackendLike,
  key: string,
  names: string[],
  body: string,
  inputs: TensorInfo[],
  groups: number,
): TensorInfo {
  const x = inputs[0] as TensorInfo;
  const size = sizeOf(x.shape);
  const channels = x.shape[x.shape.length - 1] ?? 1;
  return runFlat(
    backend,
    {
      key,
      outputShape: [...x.shape],
      inputs: names,
      uniforms: 'C : i32, groupSize : i32,',
      code: coordinates + body,
    },
    size,
    inputs,
    ints(channels, size / groups),
  );
}

const applyInputs = ['x', 'mean', 'invStd', 'gamma', 'beta'];
const gradInputs = ['dy', 'x', 'mean', 'invStd', 'gamma', 'meanDy', 'meanDyXc'];

export const batchNormApplyConfig: KernelConfig = {
  kernelName: batchNormApplyKernelName,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) =>
    run(
      backend as unknown as WebGpuBackendLike,
      'batch-norm-apply',
      applyInputs,
      'result[index] = (x[index] - mean[gc]) * (invStd[gc] * gamma[c]) + beta[c];',
      need(inputs, applyInputs, batchNormApplyKernelName),
      (attrs as unknown as BatchNormAttrs).groups,
    )) as KernelFunc,
};

export const batchNormGradConfig: KernelConfig = {
  kernelName: batchNormGradKernelName,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) =>
    run(
      backend as unknown as WebGpuBackendLike,
      'batch-norm-grad',
      gradInputs,
      `let s = invStd[gc];
       let centred = x[index] - mean[gc];
       result[index] = gamma[c] * s * (dy[index] - meanDy[gc] - centred * s * s * meanDyXc[gc]);`,
      need(inputs, gradInputs, batchNormGradKernelName),
      (attrs as unknown as BatchNormAttrs).groups,
    )) as KernelFunc,
};
