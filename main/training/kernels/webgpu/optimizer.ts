import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { webgpuKernelNames } from './names.js';
import { floats, runFlat, sizeOf, type WebGpuBackendLike } from './program.js';

/**
 * Parameter updates as one or two dispatches per parameter tensor instead of a dozen: tfjs runs
 * every broadcast op of Adam and of the EMA as its own dispatch, and in a training step of a
 * small GAN the dispatches, not the arithmetic, take the time.
 *
 *   GanAdamMoments: moments [2, …] = (m, v) → (β1·m + (1 − β1)·g, β2·v + (1 − β2)·g²)
 *   GanAdamApply:   p − stepSize · m / (√v + ε), reading the updated moments
 *   GanLerp:        a + (b − a)·t (the EMA of the generator: t = 1 − decay)
 */

const adamMomentsKernelName = webgpuKernelNames.adamMoments;
const adamApplyKernelName = webgpuKernelNames.adamApply;
const lerpKernelName = webgpuKernelNames.lerp;

export interface AdamMomentsAttrs {
  beta1: number;
  beta2: number;
}

export interface AdamApplyAttrs {
  stepSize: number;
  eps: number;
}

export interface LerpAttrs {
  t: number;
}

function input(inputs: Record<string, TensorInfo | undefined>, name: string, kernel: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`${kernel} needs input ${name}.`);
  return t;
}

export const adamMomentsConfig: KernelConfig = {
  kernelName: adamMomentsKernelName,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) => {
    const moments = input(inputs, 'moments', adamMomentsKernelName);
    const grad = input(inputs, 'grad', adamMomentsKernelName);
    const { beta1, beta2 } = attrs as unknown as AdamMomentsAttrs;
    const n = sizeOf(grad.shape);
    return runFlat(
      backend as unknown as WebGpuBackendLike,
      {
        key: 'adam-moments',
        outputShape: [...moments.shape],
        inputs: ['moments', 'grad'],
        uniforms: 'beta1 : f32, beta2 : f32,',
        code: `
          let n = uniforms.count / 2;
          if (index < n) {
            result[index] = uniforms.beta1 * moments[index] + (1.0 - uniforms.beta1) * grad[index];
          } else {
            let g = grad[index - n];
            result[index] = uniforms.beta2 * moments[index] + (1.0 - uniforms.beta2) * g * g;
          }`,
      },
      2 * n,
      [moments, grad],
      floats(beta1, beta2),
    );
  }) as KernelFunc,
};

export const adamApplyConfig: KernelConfig = {
  kernelName: adamApplyKernelName,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) => {
    const param = input(inputs, 'param', adamApplyKernelName);
    const moments = input(inputs, 'moments', adamApplyKernelName);
    const { stepSize, eps } = attrs as unknown as AdamApplyAttrs;
    return runFlat(
      backend as unknown as WebGpuBackendLike,
      {
        key: 'adam-apply',
        outputShape: [...param.shape],
        inputs: ['param', 'moments'],
        uniforms: 'stepSize : f32, eps : f32,',
        code: `
          let m = moments[index];
          let v = moments[index + uniforms.count];
          result[index] = param[index] - uniforms.stepSize * (m / (sqrt(v) + uniforms.eps));`,
      },
      sizeOf(param.shape),
      [param, moments],
      floats(stepSize, eps),
    );
  }) as KernelFunc,
};

export const lerpConfig: KernelConfig = {
  kernelName: lerpKernelName,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) => {
    const a = input(inputs, 'a', lerpKernelName);
    const b = input(inputs, 'b', lerpKernelName);
    return runFlat(
      backend as unknown as WebGpuBackendLike,
      {
        key: 'lerp',
        outputShape: [...a.shape],
        inputs: ['a', 'b'],
        uniforms: 't : f32,',
        code: 'result[index] = a[index] + (b[index] - a[index]) * uniforms.t;',
      },
      sizeOf(a.shape),
      [a, b],
      floats((attrs as unknown as LerpAttrs).t),
    );
  }) as KernelFunc,
};
