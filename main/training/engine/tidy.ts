import * as tf from '@tensorflow/tfjs-core';

/**
 * tf.tidy for results that are plain objects holding tensors (and nulls): tfjs keeps every
 * tensor reachable from the result, but its TensorContainer type does not admit interfaces or
 * null members.
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}
