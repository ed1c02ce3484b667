import * as tf from '@tensorflow/tfjs-core';

/**
 * Spectral normalisation (Miyato et al. 2018): a weight divided by its largest singular value σ,
 * so each layer of the discriminator is 1-Lipschitz and D cannot sharpen without bound on a
 * small dataset. σ comes from one power-iteration step per forward pass from a vector `u` the
 * layer keeps (a state parameter, checkpointed), as PyTorch's spectral_norm does.
 *
 * The weight is viewed as a matrix M [rows, out] (a conv filter [k, k, in, out] as [k·k·in, out]).
 * With v = M u / ‖M u‖, u' = Mᵀ v / ‖Mᵀ v‖ and σ = vᵀ M u', the layer uses M / σ. Its gradient,
 * with u' and v held constant (as every implementation does), from G = ∂L/∂(M/σ):
 *   ∂L/∂M = (G − ⟨G, M/σ⟩ · v u'ᵀ) / σ
 */

export interface SpectralWeight {
  /** The weight divided by σ, in the weight's own shape. */
  normalised: tf.Tensor;
  /** What the gradient needs: σ [], v [rows, 1] and u' [1, out]. */
  saved: [sigma: tf.Tensor, v: tf.Tensor, u: tf.Tensor];
}

function normalise(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.add(tf.sqrt(tf.sum(tf.square(x))), 1e-12));
}

/** One power-iteration step and the normalised weight; `u` is updated in place when `update`. */
export function spectralWeight(w: tf.Tensor, u: tf.Variable, update: boolean): SpectralWeight {
  const out = w.shape[w.shape.length - 1] ?? 1;
  const m = tf.reshape(w, [-1, out]) as tf.Tensor2D;
  const v = normalise(tf.matMul(m, tf.reshape(u, [out, 1]))); // [rows, 1]
  const u2 = normalise(tf.matMul(v, m, true, false)); // [1, out]
  const sigma = tf.sum(tf.mul(v, tf.matMul(m, u2, false, true)));
  // A fresh tensor, not a reshaped view of u2: the wasm backend frees a variable's data twice
  // when it was assigned a view that shares its buffer with a tensor the step still uses.
  if (update) u.assign(tf.mul(tf.reshape(u2, [out]), 1));
  return { normalised: tf.div(w, sigma), saved: [sigma, v, u2] };
}

/** ∂L/∂w from G = ∂L/∂(w/σ), in the weight's shape. */
export function spectralGrad(
  g: tf.Tensor,
  normalised: tf.Tensor,
  [sigma, v, u]: SpectralWeight['saved'],
): tf.Tensor {
  const inner = tf.sum(tf.mul(g, normalised));
  const outer = tf.reshape(tf.matMul(v, u), g.shape);
  return tf.div(tf.sub(g, tf.mul(inner, outer)), sigma);
}
