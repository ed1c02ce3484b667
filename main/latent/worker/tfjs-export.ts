import {
  BatchNorm,
  ConvTranspose2D,
  Dense,
  ReLU,
  Reshape,
  Tanh,
  type Layer,
  type ParamSpec,
} from '../../training/engine/layers.js';
import { buildGenerator, type ModelShape } from '../../training/engine/models.js';
import type { NormStatistics } from '../../training/engine/generator.js';
import type { ParamValues } from '../../training/engine/network.js';

/**
 * A generator as a TensorFlow.js LayersModel (`model.json` + one weights file), loadable with
 * `tf.loadLayersModel` in a browser or Node. The topology is read off the engine's own layer
 * list (models.ts buildGenerator), so it cannot drift from what the studio trains:
 *
 *   Dense → Reshape → BatchNormalization → ReLU → (Conv2DTranspose k4 s2 'same', no bias →
 *   BatchNormalization → ReLU)* → Conv2DTranspose (bias) → tanh
 *
 * Each batch norm is baked for inference: its moving mean and variance are the statistics of the
 * run's reference batch at that layer (what the studio normalises with), so the model gives the
 * studio's image for any latent, one at a time or in any batch.
 */

/** The file the weights go in, named as tfjs names single-shard weights. */
export const weightsFileName = 'group1-shard1of1.bin';
/** Batch norm's epsilon in the engine (layers.ts, as PyTorch). */
const epsilon = 1e-5;

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

interface WeightEntry {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface LayersModelFiles {
  /** model.json's content. */
  modelJson: string;
  /** The weights file's content (float32, little-endian, in manifest order). */
  weights: Uint8Array;
  weightCount: number;
}

const zeros = { class_name: 'Zeros', config: {} };
const ones = { class_name: 'Ones', config: {} };
const glorot = {
  class_name: 'VarianceScaling',
  config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null },
};
const noRegularizers = {
  kernel_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
};

/** 'g/bn0/gamma' → 'g_bn0': a Keras layer name from an engine parameter's. */
function layerName(paramName: string): string {
  return paramName.replace(/\/[^/]+$/, '').replace(/\//g, '_');
}

function value(weights: ParamValues, name: string, shape: readonly number[]): Float32Array {
  const found = weights[name];
  if (!found) throw new Error(`The generator has no parameter ${name} to export.`);
  if (found.shape.join('x') !== shape.join('x')) {
    throw new Error(`${name} has shape ${found.shape.join('×')}, expected ${shape.join('×')}.`);
  }
  return found.data;
}

/**
 * The config a Dense and a Conv2DTranspose end with: the engine applies activations as layers of
 * their own, and an exported model is for inference only.
 */
function linearConfig(name: string, bias: boolean): Record<string, unknown> {
  return {
    activation: 'linear',
    use_bias: bias,
    kernel_initializer: glorot,
    bias_initializer: zeros,
    ...noRegularizers,
    name,
    trainable: false,
  };
}

/** A kernel and its bias, if it has one, in the engine's layout (which is also Keras's). */
function kernelAndBias(
  weights: ParamValues,
  name: string,
  w: ParamSpec,
  b: ParamSpec | undefined,
): WeightEntry[] {
  const entries = [{ name: `${name}/kernel`, shape: w.shape, data: value(weights, w.name, w.shape) }];
  if (b) entries.push({ name: `${name}/bias`, shape: b.shape, data: value(weights, b.name, b.shape) });
  return entries;
}

function activation(name: string, fn: 'relu' | 'tanh'): KerasLayer {
  return { class_name: 'Activation', config: { activation: fn, name, trainable: false } };
}

/** Channels of the next layer with parameters after `index` (what a Reshape must produce). */
function nextChannels(layers: readonly Layer[], index: number): number {
  for (const layer of layers.slice(index + 1)) {
    const spec = layer.params[0];
    if (spec) return spec.shape[spec.shape.length - 1] ?? 0;
  }
  return 0;
}

export function buildLayersModel(
  shape: ModelShape,
  weights: ParamValues,
  statistics: Record<string, NormStatistics>,
  metadata: Record<string, unknown>,
  generatedBy: string,
): LayersModelFiles {
  const layers = buildGenerator(shape);
  const keras: KerasLayer[] = [];
  const entries: WeightEntry[] = [];
  /** Spatial side and channels of the activations so far, to check the model ends at the resolution. */
  let side = 0;
  let channels = shape.latentSize;
  let relus = 0;
  layers.forEach((layer, index) => {
    if (layer instanceof Dense) {
      const [w, b] = layer.params;
      if (!w) throw new Error('A dense layer without weights.');
      const name = layerName(w.name);
      const units = w.shape[1] ?? 0;
      keras.push({
        class_name: 'Dense',
        config: {
          units,
          ...linearConfig(name, b !== undefined),
          ...(index === 0 ? { batch_input_shape: [null, w.shape[0]], dtype: 'float32' } : {}),
        },
      });
      entries.push(...kernelAndBias(weights, name, w, b));
      channels = units;
    } else if (layer instanceof Reshape) {
      // The engine reshapes row-major, as Keras does: [N, 4·4·C] → [N, 4, 4, C].
      const c = nextChannels(layers, index);
      const s = Math.sqrt(channels / c);
      if (!Number.isInteger(s)) throw new Error(`Cannot reshape ${channels} features into ${c} channels.`);
      keras.push({
        class_name: 'Reshape',
        config: { target_shape: [s, s, c], name: 'g_reshape', trainable: false },
      });
      side = s;
      channels = c;
    } else if (layer instanceof BatchNorm) {
      const [gamma, beta] = layer.params;
      if (!gamma || !beta) throw new Error('A batch norm without its scale and shift.');
      const prefix = gamma.name.replace(/\/gamma$/, '');
      const name = layerName(gamma.name);
      const stats = statistics[prefix];
      if (!stats || stats.mean.length !== gamma.shape[0] || stats.variance.length !== gamma.shape[0]) {
        throw new Error(`No reference statistics for ${prefix}.`);
      }
      keras.push({
        class_name: 'BatchNormalization',
        config: {
          axis: -1,
          momentum: 0.99,
          epsilon,
          center: true,
          scale: true,
          beta_initializer: zeros,
          gamma_initializer: ones,
          moving_mean_initializer: zeros,
          moving_variance_initializer: ones,
          beta_regularizer: null,
          gamma_regularizer: null,
          beta_constraint: null,
          gamma_constraint: null,
          name,
          trainable: false,
        },
      });
      entries.push(
        { name: `${name}/gamma`, shape: gamma.shape, data: value(weights, gamma.name, gamma.shape) },
        { name: `${name}/beta`, shape: beta.shape, data: value(weights, beta.name, beta.shape) },
        { name: `${name}/moving_mean`, shape: gamma.shape, data: stats.mean },
        { name: `${name}/moving_variance`, shape: gamma.shape, data: stats.variance },
      );
    } else if (layer instanceof ReLU) {
      keras.push(activation(`g_relu${relus++}`, 'relu'));
    } else if (layer instanceof ConvTranspose2D) {
      const [w, b] = layer.params;
      if (!w) throw new Error('A transposed convolution without weights.');
      const name = layerName(w.name);
      const [kh = 0, kw = 0, out = 0] = w.shape;
      // Every up-sampling block of models.ts doubles the size: kernel 4, stride 2, 'same'.
      keras.push({
        class_name: 'Conv2DTranspose',
        config: {
          filters: out,
          kernel_size: [kh, kw],
          strides: [2, 2],
          padding: 'same',
          data_format: 'channels_last',
          ...linearConfig(name, b !== undefined),
        },
      });
      // Keras keeps a transposed convolution's kernel as [kh, kw, filters, in], as the engine does.
      entries.push(...kernelAndBias(weights, name, w, b));
      side *= 2;
      channels = out;
    } else if (layer instanceof Tanh) {
      keras.push(activation('g_tanh', 'tanh'));
    } else {
      throw new Error('The generator has a layer the TensorFlow.js export does not know.');
    }
  });
  if (side !== shape.resolution || channels !== 3) {
    throw new Error(
      `The exported model would make ${side}×${side}×${channels} images, not ${shape.resolution}×${shape.resolution}×3.`,
    );
  }

  const floats = entries.reduce((n, e) => n + e.data.length, 0);
  const bytes = new Uint8Array(floats * 4);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const entry of entries) {
    for (let i = 0; i < entry.data.length; i++, at += 4) view.setFloat32(at, entry.data[i] ?? 0, true);
  }
  const model = {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'gan_studio_generator', layers: keras },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [
      {
        paths: [weightsFileName],
        weights: entries.map(({ name, shape: s }) => ({ name, shape: s, dtype: 'float32' })),
      },
    ],
    userDefinedMetadata: metadata,
  };
  return { modelJson: JSON.stringify(model), weights: bytes, weightCount: floats };
}
