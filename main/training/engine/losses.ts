import * as tf from '@tensorflow/tfjs-core';
import type { LossKind } from '../../../shared/config.js';
import { webgpuKernelNames } from '../kernels/webgpu/names.js';
import { onWebgpu } from './device.js';
import { tidy } from './tidy.js';

/**
 * GAN losses on raw logits, each with its gradient with respect to the logits (the engine
 * back-propagates by hand). Means are over the batch.
 *
 * - bce: the non-saturating loss of Goodfellow et al. / DCGAN. D minimises
 *   −log σ(D(x)) − log(1 − σ(D(G(z)))), G minimises −log σ(D(G(z))). Written with softplus:
 *   −log σ(l) = softplus(−l), −log(1 − σ(l)) = softplus(l).
 * - minimax: the original game of Goodfellow et al. (2014). D as in bce; G minimises
 *   log(1 − σ(D(G(z)))) = −softplus(l), D's own objective with the sign turned. It saturates:
 *   when D rejects G's images (σ → 0) G's gradient −σ(l) vanishes, which is why bce replaced it.
 *   Kept so users can see that happen.
 * - hinge: D minimises relu(1 − D(x)) + relu(1 + D(G(z))), G minimises −D(G(z)).
 */

export interface LossAndGrad {
  loss: tf.Scalar;
  dLogits: tf.Tensor;
}

/** D's loss on real logits (target "real"). */
export function discriminatorRealLoss(kind: LossKind, logits: tf.Tensor): LossAndGrad {
  return tidy(() => {
    const n = logits.size;
    if (kind !== 'hinge') {
      // d softplus(−l)/dl = σ(l) − 1
      return {
        loss: tf.mean(tf.softplus(tf.neg(logits))) as tf.Scalar,
        dLogits: tf.div(tf.sub(tf.sigmoid(logits), 1), n),
      };
    }
    const margin = tf.sub(1, logits);
    return { loss: tf.mean(tf.relu(margin)) as tf.Scalar, dLogits: tf.div(tf.step(margin), -n) };
  });
}

/** D's loss on fake logits (target "fake"). */
export function discriminatorFakeLoss(kind: LossKind, logits: tf.Tensor): LossAndGrad {
  return tidy(() => {
    const n = logits.size;
    if (kind !== 'hinge') {
      // d softplus(l)/dl = σ(l)
      return { loss: tf.mean(tf.softplus(logits)) as tf.Scalar, dLogits: tf.div(tf.sigmoid(logits), n) };
    }
    const margin = tf.add(1, logits);
    return { loss: tf.mean(tf.relu(margin)) as tf.Scalar, dLogits: tf.div(tf.step(margin), n) };
  });
}

/** G's loss on D's logits for its images. */
export function generatorLoss(kind: LossKind, logits: tf.Tensor): LossAndGrad {
  // Non-saturating BCE: G wants its images judged real, which is D's real-image loss.
  if (kind === 'bce') return discriminatorRealLoss('bce', logits);
  if (kind === 'minimax') {
    // Minus D's fake-image loss: log(1 − σ(l)) = −softplus(l), gradient −σ(l).
    return tidy(() => ({
      loss: tf.neg(tf.mean(tf.softplus(logits))) as tf.Scalar,
      dLogits: tf.div(tf.sigmoid(logits), -logits.size),
    }));
  }
  return tidy(() => ({
    loss: tf.neg(tf.mean(logits)) as tf.Scalar,
    dLogits: tf.fill(logits.shape, -1 / logits.size),
  }));
}

/** A training step's losses: D's gradient now, G's gradient and the metrics once D has judged G. */
export interface StepLosses {
  /** d loss / d logits for D's [real; fake] logits. */
  dGrad: tf.Tensor;
  /** From D's logits for G's images after D's update: G's gradient, and the step's metrics. */
  generator(logits: tf.Tensor): { gGrad: tf.Tensor; metrics: tf.Tensor1D };
}

/**
 * The losses of a step from D's logits on [real; fake]: the metrics are [dLoss, gLoss, mean D(x),
 * mean D(G(z)) before and after D's update], D(·) = σ(logit). On webgpu three fused dispatches
 * (kernels/webgpu/loss.ts); elsewhere the functions above.
 */
export function stepLosses(kind: LossKind, dLogits: tf.Tensor): StepLosses {
  if (onWebgpu()) {
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
      tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
    return {
      dGrad: run(webgpuKernelNames.lossGrad, { logits: dLogits }, { kind, role: 'discriminator' }),
      generator: (logits) => ({
        gGrad: run(webgpuKernelNames.lossGrad, { logits }, { kind, role: 'generator' }),
        metrics: run(webgpuKernelNames.lossMetrics, { d: dLogits, g: logits }, { kind }) as tf.Tensor1D,
      }),
    };
  }
  const [realLogits, fakeLogits] = tf.split(dLogits, 2, 0) as [tf.Tensor, tf.Tensor];
  const lossReal = discriminatorRealLoss(kind, realLogits);
  const lossFake = discriminatorFakeLoss(kind, fakeLogits);
  return {
    dGrad: tf.concat([lossReal.dLogits, lossFake.dLogits], 0),
    generator: (logits) => {
      const lossG = generatorLoss(kind, logits);
      return {
        gGrad: lossG.dLogits,
        metrics: tf.stack([
          tf.add(lossReal.loss, lossFake.loss),
          lossG.loss,
          tf.mean(tf.sigmoid(realLogits)),
          tf.mean(tf.sigmoid(fakeLogits)),
          tf.mean(tf.sigmoid(logits)),
        ]) as tf.Tensor1D,
      };
    },
  };
}
