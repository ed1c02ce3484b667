import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { webgpuKernelNames } from './names.js';
import { floats, runFlat, sizeOf, type WebGpuBackendLike } from './program.js';

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

const activationGradKernelName = webgpuKernelNames.activationGrad;

const derivative: Record<ActivationGradKind, string> = {
  step: 'select(uniforms.slope, 1.0, y[index] > 0.0)',
  tanh: '1.0 - y[index] * y[index]',
};

export const activationGradConfig: KernelConfig = {
  kernelName: activationGradKernelName,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) => {
    const { dy, y } = inputs;
    if (dy === undefined || y === undefined) throw new Error(`${activationGradKernelName} needs dy and y.`);
    const { kind, slope = 0 } = attrs as unknown as ActivationGradAttrs;
    return runFlat(
      backend as unknown as WebGpuBackendLike,
      {
        key: `activation-grad-${kind}`,
        outputShape: [...dy.shape],
        inputs: ['dy', 'y'],
        uniforms: 'slope : f32,',
        code: `result[index] = dy[index] * (${derivative[kind]});`,
      },
      sizeOf(dy.shape),
      [dy, y],
      floats(slope),
    );
  }) as KernelFunc,
};
