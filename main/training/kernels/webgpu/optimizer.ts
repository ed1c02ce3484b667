import { webgpuKernelNames } from './names.js';
import { elementwiseKernelConfig, floats } from './program.js';

/**
 * Parameter updates as one or two dispatches per parameter tensor instead of a dozen: tfjs runs
 * every broadcast op of Adam and of the EMA as its own dispatch, and in a training step of a
 * small GAN the dispatches, not the arithmetic, take the time.
 *
 *   GanAdamMoments: moments [2, …] = (m, v) → (β1·m + (1 − β1)·g, β2·v + (1 − β2)·g²)
 *   GanAdamApply:   p − stepSize · m / (√v + ε), reading the updated moments
 *   GanLerp:        a + (b − a)·t (the EMA of the generator: t = 1 − decay)
 */

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

export const adamMomentsConfig = elementwiseKernelConfig<AdamMomentsAttrs>({
  kernelName: webgpuKernelNames.adamMoments,
  inputs: ['moments', 'grad'],
  key: () => 'adam-moments',
  uniforms: { fields: 'beta1 : f32, beta2 : f32,', values: ({ beta1, beta2 }) => floats(beta1, beta2) },
  code: () => `
    let n = uniforms.count / 2;
    if (index < n) {
      result[index] = uniforms.beta1 * moments[index] + (1.0 - uniforms.beta1) * grad[index];
    } else {
      let g = grad[index - n];
      result[index] = uniforms.beta2 * moments[index] + (1.0 - uniforms.beta2) * g * g;
    }`,
});

export const adamApplyConfig = elementwiseKernelConfig<AdamApplyAttrs>({
  kernelName: webgpuKernelNames.adamApply,
  inputs: ['param', 'moments'],
  key: () => 'adam-apply',
  uniforms: { fields: 'stepSize : f32, eps : f32,', values: ({ stepSize, eps }) => floats(stepSize, eps) },
  code: () => `
    let m = moments[index];
    let v = moments[index + uniforms.count];
    result[index] = param[index] - uniforms.stepSize * (m / (sqrt(v) + uniforms.eps));`,
});

export const lerpConfig = elementwiseKernelConfig<LerpAttrs>({
  kernelName: webgpuKernelNames.lerp,
  inputs: ['a', 'b'],
  key: () => 'lerp',
  uniforms: { fields: 't : f32,', values: ({ t }) => floats(t) },
  code: () => 'result[index] = a[index] + (b[index] - a[index]) * uniforms.t;',
});
