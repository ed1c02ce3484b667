import * as tf from '@tensorflow/tfjs-core';
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

export type LossKind = 'bce' | 'minimax' | 'hinge';

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
