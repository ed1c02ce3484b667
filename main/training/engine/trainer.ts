import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../../shared/config.js';
import { Adam } from './adam.js';
import { checkpointFormat, type Checkpoint, type CheckpointMeta, type TensorRecord } from './checkpoint.js';
import { DataOrder, fillBatch, type TrainingImages } from './data.js';
import { diffAugment, diffAugmentBackward, releaseAugmentTape, type AugmentOp } from './diffaugment.js';
import { Ema } from './ema.js';
import { generateImages, referenceBatch, referenceLatents } from './generator.js';
import { tileImages, type RgbImage } from './grid.js';
import { gridDiversity, qualityScore, swdImageCount, trainingSubset } from './quality.js';
import type { ImageSet } from './swd.js';
import { stepLosses } from './losses.js';
import { buildDiscriminator, buildGenerator, modelShape } from './models.js';
import { Network, type ParamValues } from './network.js';
import { Rng } from './rng.js';

/** Plain numbers from one iteration; the loop, logging and messaging never hold tensors. */
export interface StepMetrics {
  /** Iterations completed, this one included. */
  step: number;
  dLoss: number;
  gLoss: number;
  /** Mean σ(D(x)) on the real batch, in D's step. */
  dReal: number;
  /** Mean σ(D(G(z))) in D's step (before D's update). */
  dFake: number;
  /** Mean σ(D(G(z))) in G's step (after D's update). */
  dFakeAfter: number;
}

const metricNames = ['dLoss', 'gLoss', 'dReal', 'dFake', 'dFakeAfter'] as const;

/**
 * Losses beyond this are divergence too: BCE and hinge losses of a working GAN stay within tens,
 * and a loss of 10¹⁴ is a run that has blown up but not yet reached ∞.
 */
export const absurdLoss = 1e6;

/** Whether the losses are usable numbers (a NaN, ∞ or absurd loss means training diverged). */
export function metricsFinite(m: StepMetrics): boolean {
  return metricNames.every((key) => Number.isFinite(m[key]) && Math.abs(m[key]) < absurdLoss);
}

/**
 * Runs `count` iterations with one always queued ahead (as the session does), returning every
 * step's metrics in order.
 */
export async function trainSteps(trainer: GanTrainer, count: number): Promise<StepMetrics[]> {
  const out: StepMetrics[] = [];
  let inFlight: Promise<StepMetrics> | null = null;
  for (let i = 0; i < count; i++) {
    const next = trainer.step();
    if (inFlight !== null) out.push(await inFlight);
    inFlight = next;
  }
  if (inFlight !== null) out.push(await inFlight);
  return out;
}

/** DiffAugment 'auto' turns on below this many images (the paper's small-data regime). */
const smallDataset = 5000;

/** Whether a run augments with DiffAugment: 'on', or 'auto' on a small dataset. */
export function augments(config: TrainConfig, datasetSize: number): boolean {
  return config.diffAugment === 'on' || (config.diffAugment === 'auto' && datasetSize < smallDataset);
}

function paramValuesOf(records: Record<string, TensorRecord>, prefix: string): ParamValues {
  const out: ParamValues = {};
  for (const [name, record] of Object.entries(records)) {
    if (name.startsWith(prefix)) out[name.slice(prefix.length)] = record;
  }
  return out;
}

function prefixed(values: ParamValues, prefix: string): Record<string, TensorRecord> {
  const out: Record<string, TensorRecord> = {};
  for (const [name, v] of Object.entries(values)) out[prefix + name] = v;
  return out;
}

/**
 * One GAN training run in memory: G, D, EMA-G, two Adam optimizers, RNG streams and data order.
 * Each `step()` is one D step then one G step (G's step sees the updated D), with G run forward
 * once: the backward passes are explicit (see layers.ts), so the fake batch and G's saved
 * activations serve both steps, exactly as PyTorch's DCGAN example does with `fake.detach()`.
 */
export class GanTrainer {
  readonly generator: Network;
  readonly discriminator: Network;
  readonly augmentPolicy: readonly AugmentOp[];
  private readonly ema: Ema | null;
  private readonly adamG: Adam;
  private readonly adamD: Adam;
  private noiseRng: Rng;
  private augmentRng: Rng;
  private flipRng: Rng;
  private order: DataOrder;
  private stepCount = 0;
  private readonly batch: Float32Array;
  private readonly sampleLatents: Float32Array;

  private constructor(
    readonly config: TrainConfig,
    private readonly data: TrainingImages,
    private readonly datasetSize: number,
  ) {
    if (data.height !== config.resolution || data.width !== config.resolution) {
      throw new Error(
        `The dataset cache is ${data.width}×${data.height} px but the run trains at ${config.resolution} px.`,
      );
    }
    if (data.pixels.length < data.count * data.height * data.width * 3) {
      throw new Error('The dataset cache holds fewer pixels than its image count says.');
    }
    const shape = modelShape(config);
    const init = Rng.seeded(config.seed, 'init');
    this.generator = new Network(buildGenerator(shape), init);
    this.discriminator = new Network(buildDiscriminator(shape), init);
    this.ema = config.emaDecay > 0 ? new Ema(this.generator.params, config.emaDecay) : null;
    const adam = { beta1: config.beta1, beta2: config.beta2 };
    this.adamG = new Adam(this.generator.trainable(), { ...adam, lr: config.lrG });
    this.adamD = new Adam(this.discriminator.trainable(), { ...adam, lr: config.lrD });
    this.noiseRng = Rng.seeded(config.seed, 'noise');
    this.augmentRng = Rng.seeded(config.seed, 'augment');
    this.flipRng = Rng.seeded(config.seed, 'flip');
    this.order = DataOrder.start(data.count, config.seed);
    this.augmentPolicy = augments(config, datasetSize) ? [...config.augmentPolicy] : [];
    this.batch = new Float32Array(config.batchSize * data.height * data.width * 3);
    this.sampleLatents = referenceLatents(config.seed, config.latentSize);
  }

  static create(config: TrainConfig, data: TrainingImages, datasetSize: number): GanTrainer {
    return new GanTrainer(config, data, datasetSize);
  }

  /** A trainer continuing from a checkpoint; `config` may differ in steps, rates and intervals. */
  static fromCheckpoint(
    config: TrainConfig,
    data: TrainingImages,
    datasetSize: number,
    checkpoint: Checkpoint,
  ): GanTrainer {
    const trainer = new GanTrainer(config, data, datasetSize);
    try {
      trainer.restore(checkpoint);
    } catch (error) {
      trainer.dispose();
      throw error;
    }
    return trainer;
  }

  /** Iterations completed. */
  get completedSteps(): number {
    return this.stepCount;
  }

  /**
   * One iteration: a D step on a real and a fake batch, then a G step. Every op is queued on the
   * device before this returns, and the metrics come back when the device has run them: calling
   * step() again before awaiting keeps a GPU busy (the session reads metrics one step behind).
   * Nothing is read back synchronously, which WebGPU cannot do outside a browser.
   */
  step(): Promise<StepMetrics> {
    const { batchSize: n, latentSize, loss } = this.config;
    const { height: h, width: w } = this.data;
    const indices = this.order.next(n);
    // The cache stores each image once; flips are drawn per image here when the run asks.
    const flips = this.config.flip
      ? Uint8Array.from({ length: n }, () => this.flipRng.nextU32() & 1)
      : undefined;
    fillBatch(this.data, indices, this.batch, flips);
    const latents = this.noiseRng.normal(new Float32Array(n * latentSize));
    const augmenting = this.augmentPolicy.length > 0;

    const values = tf.tidy(() => {
      const real = tf.tensor4d(this.batch, [n, h, w, 3]);
      const g = this.generator.forward(tf.tensor2d(latents, [n, latentSize]));
      const fake = g.y as tf.Tensor4D;

      // D step: real and fake share one pass; batch norm keeps their statistics apart.
      let realIn = real;
      let fakeIn = fake;
      if (augmenting) {
        const a = diffAugment(real, this.augmentPolicy, this.augmentRng);
        const b = diffAugment(fake, this.augmentPolicy, this.augmentRng);
        releaseAugmentTape(a.tape);
        releaseAugmentTape(b.tape);
        realIn = a.y;
        fakeIn = b.y;
      }
      const d1 = this.discriminator.forward(tf.concat([realIn, fakeIn], 0), 2);
      const losses = stepLosses(loss, d1.y);
      const dBack = this.discriminator.backward(d1.tape, losses.dGrad, {
        paramGrads: true,
        inputGrad: false,
      });
      Network.release(d1.tape);
      this.adamD.apply(dBack.grads);
      tf.dispose(dBack.grads);

      // G step through the updated D, reusing G's forward pass.
      const aug = augmenting ? diffAugment(fake, this.augmentPolicy, this.augmentRng) : null;
      const d2 = this.discriminator.forward(aug?.y ?? fake, 1);
      const { gGrad, metrics } = losses.generator(d2.y);
      const back = this.discriminator.backward(d2.tape, gGrad, {
        paramGrads: false,
        inputGrad: true,
      });
      Network.release(d2.tape);
      let dFake = back.dx as tf.Tensor4D;
      if (aug !== null) {
        dFake = diffAugmentBackward(dFake, aug.tape);
        releaseAugmentTape(aug.tape);
      }
      const gBack = this.generator.backward(g.tape, dFake, { paramGrads: true, inputGrad: false });
      Network.release(g.tape);
      this.adamG.apply(gBack.grads);
      tf.dispose(gBack.grads);
      this.ema?.update();

      return metrics;
    });
    this.stepCount++;
    const step = this.stepCount;
    return values
      .data()
      .then(([dLoss = NaN, gLoss = NaN, dReal = NaN, dFake = NaN, dFakeAfter = NaN]) => ({
        step,
        dLoss,
        gLoss,
        dReal,
        dFake,
        dFakeAfter,
      }))
      .finally(() => values.dispose());
  }

  /**
   * Images [count, H, W, 3] in [−1, 1] from latents [count·latentSize], with the EMA generator
   * (or G when EMA is off). Batch norm uses the statistics of the run's fixed reference latents,
   * so each image depends only on its own latent.
   */
  generate(latents: Float32Array, count: number): Promise<Float32Array> {
    const params = this.ema?.params ?? this.generator.params;
    return generateImages(this.generator, params, this.sampleLatents, latents, count, this.config.latentSize);
  }

  /**
   * The sample grid: the first config.sampleCount of the run's fixed latents, tiled, and how
   * varied its images are next to as many training images (gridDiversity).
   */
  async sampleGrid(): Promise<{ image: RgbImage; diversity: number }> {
    const count = Math.min(this.config.sampleCount, referenceBatch);
    const images = await this.generate(this.sampleLatents.subarray(0, count * this.config.latentSize), count);
    const grid: ImageSet = { pixels: images, count, size: this.data.height };
    return {
      image: tileImages(images, count, this.data.height, this.data.width),
      diversity: gridDiversity(grid, this.qualitySubset()),
    };
  }

  /** SWD (×10³) of images from fixed latents against a fixed subset of the training images. */
  async qualitySwd(): Promise<number> {
    const count = Math.min(swdImageCount(this.config.resolution), this.data.count);
    const latents = Rng.seeded(this.config.seed, 'quality-latents').normal(
      new Float32Array(count * this.config.latentSize),
    );
    const generated = await this.generate(latents, count);
    return qualityScore({ pixels: generated, count, size: this.data.height }, this.data, this.config.seed);
  }

  private subset: ImageSet | null = null;

  private qualitySubset(): ImageSet {
    this.subset ??= trainingSubset(this.data, swdImageCount(this.config.resolution), this.config.seed);
    return this.subset;
  }

  /**
   * Everything a resume needs: the state after every step queued so far. The meta is taken and
   * every read is queued before the first await, so the checkpoint is consistent even if another
   * step were queued while it waits for the device.
   */
  async exportCheckpoint(): Promise<Checkpoint> {
    const meta: CheckpointMeta = {
      format: checkpointFormat,
      step: this.stepCount,
      config: this.config,
      datasetSize: this.datasetSize,
      rng: { noise: this.noiseRng.state(), augment: this.augmentRng.state(), flip: this.flipRng.state() },
      data: this.order.state(),
      optimizers: { g: this.adamG.steps, d: this.adamD.steps },
      emaUpdates: this.ema?.updates ?? 0,
    };
    const [gValues, dValues, emaValues, adamG, adamD] = await Promise.all([
      this.generator.values(),
      this.discriminator.values(),
      this.ema ? this.generator.values(this.ema.params) : null,
      this.adamG.state(),
      this.adamD.state(),
    ]);
    const tensors: Record<string, TensorRecord> = {
      ...gValues,
      ...dValues,
      ...prefixed(emaValues ?? gValues, 'ema/'),
      ...prefixed(adamG.moments, 'adam-g/'),
      ...prefixed(adamD.moments, 'adam-d/'),
    };
    return { meta, tensors };
  }

  restore(checkpoint: Checkpoint): void {
    const { meta, tensors } = checkpoint;
    for (const key of ['model', 'resolution', 'width', 'latentSize'] as const) {
      if (meta.config[key] !== this.config[key]) {
        throw new Error(
          `The checkpoint was trained with ${key} ${meta.config[key]}, this run uses ${this.config[key]}.`,
        );
      }
    }
    this.generator.load(tensors);
    this.discriminator.load(tensors);
    if (this.ema !== null) {
      this.generator.load(tensors, this.ema.params, 'ema/');
      this.ema.updates = meta.emaUpdates;
    }
    this.adamG.restore({ t: meta.optimizers.g, moments: paramValuesOf(tensors, 'adam-g/') });
    this.adamD.restore({ t: meta.optimizers.d, moments: paramValuesOf(tensors, 'adam-d/') });
    this.noiseRng = Rng.fromState(meta.rng.noise);
    this.augmentRng = Rng.fromState(meta.rng.augment);
    this.flipRng = Rng.fromState(meta.rng.flip);
    // A changed image count cannot replay the old order: start a fresh one, seeded by the step.
    this.order =
      meta.data.count === this.data.count
        ? DataOrder.restore(this.data.count, meta.data)
        : DataOrder.start(this.data.count, (this.config.seed + meta.step) >>> 0);
    this.stepCount = meta.step;
  }

  dispose(): void {
    this.generator.dispose();
    this.discriminator.dispose();
    this.ema?.dispose();
    this.adamG.dispose();
    this.adamD.dispose();
  }
}
