import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { LossKind } from '../../../../shared/config.js';
import { webgpuKernelNames } from './names.js';
import { elementwiseKernelConfig, ints, need, runFlat, type WebGpuBackendLike } from './program.js';

/**
 * A training step's losses in three dispatches instead of about twenty-five tiny ones (splits,
 * sigmoids, softpluses, means, a concat and a stack), for the losses of engine/losses.ts on
 * logits l, n per side:
 *   GanLossGrad, discriminator: d loss / d l on D's [real; fake] logits [2n, 1]
 *   GanLossGrad, generator:     d loss / d l on D's logits for G's images [n, 1]
 *   GanLossMetrics:             [dLoss, gLoss, mean σ(real), mean σ(fake), mean σ(G's)]
 */

export type LossRole = 'discriminator' | 'generator';

export interface LossGradAttrs {
  kind: LossKind;
  role: LossRole;
}

export interface LossMetricsAttrs {
  kind: LossKind;
}

const sigmoid = (x: string) => `(1.0 / (1.0 + exp(-(${x}))))`;
/** log(1 + eˣ) without overflow. */
const softplus = (x: string) => `(max(${x}, 0.0) + log(1.0 + exp(-abs(${x}))))`;
const step = (x: string) => `select(0.0, 1.0, (${x}) > 0.0)`;

/** Per logit x: the loss on a real image, on a fake one, and G's; then their derivatives. */
const terms: Record<
  LossKind,
  { real: string; fake: string; g: string; dReal: string; dFake: string; dG: string }
> = {
  bce: {
    real: softplus('-x'),
    fake: softplus('x'),
    g: softplus('-x'),
    dReal: `${sigmoid('x')} - 1.0`,
    dFake: sigmoid('x'),
    dG: `${sigmoid('x')} - 1.0`,
  },
  minimax: {
    real: softplus('-x'),
    fake: softplus('x'),
    g: `-${softplus('x')}`,
    dReal: `${sigmoid('x')} - 1.0`,
    dFake: sigmoid('x'),
    dG: `-${sigmoid('x')}`,
  },
  hinge: {
    real: 'max(1.0 - x, 0.0)',
    fake: 'max(1.0 + x, 0.0)',
    g: '-x',
    dReal: `-${step('1.0 - x')}`,
    dFake: step('1.0 + x'),
    dG: '-1.0',
  },
};

export const lossGradConfig = elementwiseKernelConfig<LossGradAttrs>({
  kernelName: webgpuKernelNames.lossGrad,
  inputs: ['logits'],
  key: ({ kind, role }) => `loss-grad-${kind}-${role}`,
  uniforms: {
    fields: 'n : i32,',
    values: ({ role }, logits) => ints(role === 'discriminator' ? logits.shape[0]! / 2 : logits.shape[0]!),
  },
  code: ({ kind, role }) => {
    const t = terms[kind];
    const derivative =
      role === 'generator' ? `(${t.dG})` : `select(${t.dFake}, ${t.dReal}, index < uniforms.n)`;
    return `
      let x = logits[index];
      result[index] = ${derivative} / f32(uniforms.n);`;
  },
});

const lossMetricsKernelName = webgpuKernelNames.lossMetrics;

export const lossMetricsConfig: KernelConfig = {
  kernelName: lossMetricsKernelName,
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) => {
    const [d, g] = need(inputs, ['d', 'g'], lossMetricsKernelName) as [TensorInfo, TensorInfo];
    const { kind } = attrs as unknown as LossMetricsAttrs;
    const t = terms[kind];
    // Five invocations, one per metric, each summing over the batch (n ≤ 512).
    return runFlat(
      backend as unknown as WebGpuBackendLike,
      {
        key: `loss-metrics-${kind}`,
        outputShape: [5],
        inputs: ['d', 'g'],
        uniforms: 'n : i32,',
        code: `
          let n = uniforms.n;
          var s = 0.0;
          for (var i = 0; i < n; i = i + 1) {
            var x = 0.0;
            switch index {
              case 0: {
                x = d[i];
                s = s + ${t.real};
                x = d[n + i];
                s = s + ${t.fake};
              }
              case 1: {
                x = g[i];
                s = s + ${t.g};
              }
              case 2: {
                x = d[i];
                s = s + ${sigmoid('x')};
              }
              case 3: {
                x = d[n + i];
                s = s + ${sigmoid('x')};
              }
              default: {
                x = g[i];
                s = s + ${sigmoid('x')};
              }
            }
          }
          result[index] = s / f32(n);`,
      },
      5,
      [d, g],
      ints(g.shape[0]!),
    );
  }) as KernelFunc,
};
