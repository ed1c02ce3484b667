import { AvgPool, Sigmoid, SkipExcite, Upsample2x } from '../../training/engine/blocks.js';
import {
  BatchNorm,
  Conv2D,
  ConvTranspose2D,
  Dense,
  LeakyReLU,
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
 * list (models.ts buildGenerator, either family), so it cannot drift from what the studio trains:
 * a functional model whose DCGAN is a chain
 *
 *   Dense → Reshape → BatchNormalization → ReLU → (Conv2DTranspose k4 s2 'same', no bias →
 *   BatchNormalization → ReLU)* → Conv2DTranspose (bias) → tanh
 *
 * and whose FastGAN-lite up-samples (UpSampling2D → Conv2D 3×3) with skip-layer excitation as
 * a branch (AveragePooling2D → Flatten → Dense → LeakyReLU → Dense → sigmoid → Reshape) that a
 * Multiply layer applies to the larger map.
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
function linearConfig(bias: boolean): Record<string, unknown> {
  return {
    activation: 'linear',
    use_bias: bias,
    kernel_initializer: glorot,
    bias_initializer: zeros,
    ...noRegularizers,
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

interface Tensor {
  /** The Keras layer whose output this is. */
  node: string;
  side: number;
  channels: number;
}

/**
 * Keras layers as a functional graph (inbound nodes by name): a plain stack is a chain, and
 * skip-layer excitation a branch multiplied back in, which Keras's Multiply broadcasts.
 */
class GraphWriter {
  readonly layers: (KerasLayer & { name: string; inbound_nodes: unknown[] })[] = [];
  readonly entries: WeightEntry[] = [];
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly weights: ParamValues,
    private readonly statistics: Record<string, NormStatistics>,
  ) {}

  /** A name not used yet: `g_relu0`, `g_relu1`, … */
  unique(base: string): string {
    const n = this.counts.get(base) ?? 0;
    this.counts.set(base, n + 1);
    return `${base}${n}`;
  }

  add(className: string, name: string, config: Record<string, unknown>, inputs: string[]): string {
    this.layers.push({
      class_name: className,
      name,
      config: { ...config, name, trainable: false },
      inbound_nodes: inputs.length === 0 ? [] : [inputs.map((i) => [i, 0, 0, {}])],
    });
    return name;
  }

  stack(layers: readonly Layer[], input: Tensor): Tensor {
    let t = input;
    for (const layer of layers) t = this.layer(layer, t);
    return t;
  }

  private layer(layer: Layer, t: Tensor): Tensor {
    const { weights } = this;
    if (layer instanceof Dense) {
      const [w, b] = layer.params;
      if (!w) throw new Error('A dense layer without weights.');
      const name = layerName(w.name);
      const units = w.shape[1] ?? 0;
      this.entries.push(...kernelAndBias(weights, name, w, b));
      return {
        node: this.add('Dense', name, { units, ...linearConfig(b !== undefined) }, [t.node]),
        side: 0,
        channels: units,
      };
    }
    if (layer instanceof Reshape) {
      // The engine reshapes row-major, as Keras does: [N, s·s·C] ↔ [N, s, s, C].
      const [s = 0, , c = 0] = layer.outShape;
      if (layer.outShape.length === 3) {
        const node = this.add('Reshape', this.unique('g_reshape'), { target_shape: layer.outShape }, [
          t.node,
        ]);
        return { node, side: s, channels: c };
      }
      const features = layer.outShape[0] ?? 0;
      return {
        node: this.add('Flatten', this.unique('g_flatten'), {}, [t.node]),
        side: 0,
        channels: features,
      };
    }
    if (layer instanceof BatchNorm) return this.batchNorm(layer, t);
    if (layer instanceof ReLU) return { ...t, node: this.activation('relu', t) };
    if (layer instanceof Tanh) return { ...t, node: this.activation('tanh', t) };
    if (layer instanceof Sigmoid) return { ...t, node: this.activation('sigmoid', t) };
    if (layer instanceof LeakyReLU) {
      return {
        ...t,
        node: this.add('LeakyReLU', this.unique('g_leaky_relu'), { alpha: layer.slope }, [t.node]),
      };
    }
    if (layer instanceof Upsample2x) {
      const node = this.add(
        'UpSampling2D',
        this.unique('g_upsample'),
        { size: [2, 2], data_format: 'channels_last', interpolation: 'nearest' },
        [t.node],
      );
      return { ...t, node, side: t.side * 2 };
    }
    if (layer instanceof AvgPool) {
      if (layer.k === 1) return t;
      const node = this.add(
        'AveragePooling2D',
        this.unique('g_pool'),
        {
          pool_size: [layer.k, layer.k],
          strides: [layer.k, layer.k],
          padding: 'valid',
          data_format: 'channels_last',
        },
        [t.node],
      );
      return { ...t, node, side: t.side / layer.k };
    }
    if (layer instanceof ConvTranspose2D || layer instanceof Conv2D) {
      const [w, b] = layer.params;
      if (!w) throw new Error('A convolution without weights.');
      const name = layerName(w.name);
      const [kh = 0, kw = 0, a = 0, bOut = 0] = w.shape;
      // Keras keeps a conv's kernel as [kh, kw, in, out] and a transposed conv's as
      // [kh, kw, filters, in], as the engine does.
      const transposed = layer instanceof ConvTranspose2D;
      const filters = transposed ? a : bOut;
      const node = this.add(
        transposed ? 'Conv2DTranspose' : 'Conv2D',
        name,
        {
          filters,
          kernel_size: [kh, kw],
          strides: [layer.stride, layer.stride],
          padding: 'same',
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          ...linearConfig(b !== undefined),
        },
        [t.node],
      );
      this.entries.push(...kernelAndBias(weights, name, w, b));
      return { node, channels: filters, side: transposed ? t.side * layer.stride : t.side / layer.stride };
    }
    if (layer instanceof SkipExcite) {
      const big = this.stack(layer.inner, t);
      const gate = this.stack(layer.excite, t);
      const node = this.add('Multiply', this.unique('g_excite'), {}, [big.node, gate.node]);
      return { ...big, node };
    }
    throw new Error('The generator has a layer the TensorFlow.js export does not know.');
  }

  private activation(fn: 'relu' | 'tanh' | 'sigmoid', t: Tensor): string {
    return this.add('Activation', this.unique(`g_${fn}`), { activation: fn }, [t.node]);
  }

  private batchNorm(layer: BatchNorm, t: Tensor): Tensor {
    const [gamma, beta] = layer.params;
    if (!gamma || !beta) throw new Error('A batch norm without its scale and shift.');
    const prefix = gamma.name.replace(/\/gamma$/, '');
    const name = layerName(gamma.name);
    const stats = this.statistics[prefix];
    if (!stats || stats.mean.length !== gamma.shape[0] || stats.variance.length !== gamma.shape[0]) {
      throw new Error(`No reference statistics for ${prefix}.`);
    }
    const node = this.add(
      'BatchNormalization',
      name,
      {
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
      },
      [t.node],
    );
    this.entries.push(
      { name: `${name}/gamma`, shape: gamma.shape, data: value(this.weights, gamma.name, gamma.shape) },
      { name: `${name}/beta`, shape: beta.shape, data: value(this.weights, beta.name, beta.shape) },
      { name: `${name}/moving_mean`, shape: gamma.shape, data: stats.mean },
      { name: `${name}/moving_variance`, shape: gamma.shape, data: stats.variance },
    );
    return { ...t, node };
  }
}

export function buildLayersModel(
  shape: ModelShape,
  weights: ParamValues,
  statistics: Record<string, NormStatistics>,
  metadata: Record<string, unknown>,
  generatedBy: string,
): LayersModelFiles {
  const writer = new GraphWriter(weights, statistics);
  const input = writer.add(
    'InputLayer',
    'z',
    { batch_input_shape: [null, shape.latentSize], dtype: 'float32', sparse: false },
    [],
  );
  const out = writer.stack(buildGenerator(shape), { node: input, side: 0, channels: shape.latentSize });
  if (out.side !== shape.resolution || out.channels !== 3) {
    throw new Error(
      `The exported model would make ${out.side}×${out.side}×${out.channels} images, not ${shape.resolution}×${shape.resolution}×3.`,
    );
  }
  const { entries } = writer;

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
      class_name: 'Model',
      config: {
        name: 'gan_studio_generator',
        layers: writer.layers,
        input_layers: [['z', 0, 0]],
        output_layers: [[out.node, 0, 0]],
      },
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
