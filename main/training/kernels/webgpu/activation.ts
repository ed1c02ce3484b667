import { webgpuKernelNames } from './names.js';
import { elementwiseKernelConfig, floats } from './program.js';

/**
 * The input gradient of an activation from its output y, in one dispatch instead of tfjs's two
 * or three:
 *   step: dy · (y > 0 ? 1 : slope)   (ReLU with slope 0, leaky ReLU: y has the sign of x)
 *   tanh: dy · (1 − y²)
 */
export type ActivationGradKind = 'step' | 'tanh';

export interface ActivationGradAttrs {
  kind: ActivationGradKind;
  /** step's derivative where y ≤ 0. */
  slope?: number;
}

const derivative: Record<ActivationGradKind, string> = {
  step: 'select(uniforms.slope, 1.0, y[index] > 0.0)',
  tanh: '1.0 - y[index] * y[index]',
};

export const activationGradConfig = elementwiseKernelConfig<ActivationGradAttrs>({
  kernelName: webgpuKernelNames.activationGrad,
  inputs: ['dy', 'y'],
  key: ({ kind }) => `activation-grad-${kind}`,
  uniforms: { fields: 'slope : f32,', values: ({ slope = 0 }) => floats(slope) },
  code: ({ kind }) => `result[index] = dy[index] * (${derivative[kind]});`,
});
