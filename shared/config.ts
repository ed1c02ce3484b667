import { z } from 'zod';
import { ApiError } from './errors.js';

export const backendNames = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

export const resolutions = [32, 64, 128, 256] as const;
export type Resolution = (typeof resolutions)[number];

/**
 * The model families (main/training/engine/models/): DCGAN, the small, fast baseline up to
 * 128 px, and the small-data family after FastGAN and SN-GAN, up to 256 px.
 */
export const modelFamilies = ['dcgan', 'fastgan'] as const;
export type ModelFamily = (typeof modelFamilies)[number];

export const modelFamilyLabels: Record<ModelFamily, string> = {
  dcgan: 'DCGAN (small, fast baseline)',
  fastgan: 'FastGAN-lite (small datasets)',
};

/** The largest resolution each family is built for. */
export const maxResolution: Record<ModelFamily, Resolution> = { dcgan: 128, fastgan: 256 };

export const cacheResolutions = [32, 64, 128, 256] as const;
export type CacheResolution = (typeof cacheResolutions)[number];
export const cropModes = ['center', 'pad', 'stretch'] as const;
export type CropMode = (typeof cropModes)[number];

export const lossKinds = ['bce', 'minimax', 'hinge'] as const;
export type LossKind = (typeof lossKinds)[number];

/** The largest seed: seeds are 31-bit, as the engine's RNG and the generated sets' manifests take them. */
export const maxSeed = 2 ** 31 - 1;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const positive = (max: number) => z.number().gt(0).max(max);

/**
 * Everything that defines a training run. Stored with the run as JSON, so adding a field needs a
 * default here: older runs then read back with it.
 */
const configShape = z.object({
  /** The model family; runs stored before families existed read back as DCGAN. */
  model: z.enum(modelFamilies).default('dcgan'),
  resolution: z.union(resolutions.map((r) => z.literal(r))).default(32),
  /** Latent vector length (z). */
  latentSize: int(8, 512).default(100),
  /** Channel width multiplier: 1 is the classic DCGAN (64 base channels). */
  width: z.number().min(0.125).max(4).default(1),
  batchSize: int(1, 512).default(64),
  /** Total iterations (one D step and one G step each). */
  steps: int(1, 10_000_000).default(2000),
  lrG: positive(1).default(0.0002),
  lrD: positive(1).default(0.0002),
  beta1: z.number().min(0).lt(1).default(0.5),
  beta2: z.number().min(0).lt(1).default(0.999),
  /**
   * 'bce' is the non-saturating loss; 'minimax' the original, saturating one (G's gradient fades
   * when D wins); 'hinge' the margin loss of SN-GAN/BigGAN. See engine/losses.ts.
   */
  loss: z.enum(lossKinds).default('bce'),
  /** 'auto' turns DiffAugment on for datasets under 5,000 images. */
  diffAugment: z.enum(['auto', 'on', 'off']).default('auto'),
  augmentPolicy: z
    .array(z.enum(['translation', 'color', 'cutout']))
    .default(['translation', 'color', 'cutout']),
  /** EMA decay of the generator copy used for samples; 0 turns EMA off. */
  emaDecay: z.number().min(0).lt(1).default(0.999),
  seed: int(0, maxSeed).default(1),
  /** Chart points every this many steps, and at least every couple of seconds whatever it is. */
  metricsEvery: int(1, 100_000).default(10),
  /**
   * A sample grid every this many steps; 0 = by time only. Grids are also taken by time: about
   * 10 s after the first step, then every 15–30 s early on and sparser later (main/training/schedule.ts).
   */
  sampleEvery: int(0, 1_000_000).default(0),
  /** Number of images in the fixed sample grid. */
  sampleCount: int(1, 64).default(16),
  checkpointMinutes: z
    .number()
    .min(0.05)
    .max(24 * 60)
    .default(5),
  keepCheckpoints: int(1, 100).default(3),
  crop: z.enum(cropModes).default('center'),
  flip: z.boolean().default(false),
  backend: z.enum(['auto', ...backendNames]).default('auto'),
  /**
   * CPU threads for the wasm backend; 0 = auto: one core less than the machine has (the main
   * thread and the UI keep one), at most 8. One thread is the stock single-threaded build.
   */
  threads: int(0, 64).default(0),
});

export const trainConfigSchema = configShape.superRefine((config, ctx) => {
  if (config.resolution > maxResolution[config.model]) {
    ctx.addIssue({
      code: 'custom',
      path: ['resolution'],
      message: `${modelFamilyLabels[config.model]} goes up to ${maxResolution[config.model]} px; choose a lower resolution or the ${modelFamilyLabels.fastgan} model`,
    });
  }
});

export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type ConfigField = keyof TrainConfig;

type PatchShape<S> = { [K in keyof S]: S[K] extends z.ZodDefault<infer T> ? z.ZodOptional<T> : never };

/**
 * The config's fields with no defaults: a patch names only what it sets. zod 4's `.partial()`
 * still fills defaults, so a partial config would silently override a preset's values.
 */
function patchShape(): PatchShape<typeof configShape.shape> {
  const shape = configShape.shape;
  const entries = Object.entries(shape).map(([key, field]) => [key, field.unwrap().optional()]);
  return Object.fromEntries(entries) as PatchShape<typeof shape>;
}

export const trainConfigPatchSchema = z.object(patchShape()).strict();
export type TrainConfigPatch = z.infer<typeof trainConfigPatchSchema>;

/**
 * What may change when a run continues from a checkpoint: its length, learning rates, where it
 * trains and how often it reports. Everything else shapes the model or the data the checkpoint
 * was trained on, so it can only change in a new run.
 */
export const continuableFields = [
  'steps',
  'lrG',
  'lrD',
  'backend',
  'threads',
  'metricsEvery',
  'sampleEvery',
  'checkpointMinutes',
  'keepCheckpoints',
] as const satisfies readonly ConfigField[];
export type ContinuableField = (typeof continuableFields)[number];

export const continueChangesSchema = trainConfigPatchSchema.pick({
  steps: true,
  lrG: true,
  lrD: true,
  backend: true,
  threads: true,
  metricsEvery: true,
  sampleEvery: true,
  checkpointMinutes: true,
  keepCheckpoints: true,
});
export type ContinueChanges = z.infer<typeof continueChangesSchema>;

/** Every config field in the order people read them, with the label the UI and CLI show. */
export const configFieldLabels: Record<ConfigField, string> = {
  model: 'Model',
  resolution: 'Resolution (px)',
  latentSize: 'Latent size',
  width: 'Width',
  batchSize: 'Batch size',
  steps: 'Steps',
  lrG: 'Learning rate G',
  lrD: 'Learning rate D',
  beta1: 'Adam β1',
  beta2: 'Adam β2',
  loss: 'Loss',
  diffAugment: 'DiffAugment',
  augmentPolicy: 'Augment policy',
  emaDecay: 'EMA decay',
  seed: 'Seed',
  metricsEvery: 'Metrics every (steps)',
  sampleEvery: 'Sample every (steps)',
  sampleCount: 'Sample count',
  checkpointMinutes: 'Checkpoint every (min)',
  keepCheckpoints: 'Checkpoints kept',
  crop: 'Crop',
  flip: 'Flip',
  backend: 'Backend asked for',
  threads: 'CPU threads asked for',
};
export const configFields = Object.keys(configFieldLabels) as ConfigField[];

export const defaultTrainConfig: TrainConfig = Object.freeze(trainConfigSchema.parse({}));

export interface Preset {
  id: string;
  label: string;
  description: string;
  config: TrainConfigInput;
}

/**
 * What the user wants from a run. Each preset's settings here are its plain starting point; the
 * Train form and `train --preset` propose them for the dataset and the machine (proposal.ts).
 */
export const presets: readonly Preset[] = [
  {
    id: 'quick',
    label: 'A first look',
    description:
      'For a first look: does this folder train at all? Small images and a short run, so the first shapes and colours appear within minutes, even on a CPU.',
    config: { resolution: 32, batchSize: 64, steps: 2000 },
  },
  {
    id: 'standard',
    label: 'A good result',
    description:
      'Samples worth keeping from a folder of a few hundred to a few thousand images: a model for small data, sized for this machine, and a long run.',
    config: { resolution: 64, batchSize: 64, steps: 20_000 },
  },
  {
    id: 'detailed',
    label: 'The most detail',
    description:
      'The largest images this machine can learn in reasonable time: hours on a CPU, much less on a GPU. Needs enough images to show the detail.',
    config: { resolution: 128, batchSize: 32, steps: 50_000, width: 0.5 },
  },
];

/** A preset's settings (the defaults for what it leaves out), parsed once. */
const presetConfigs = new Map(presets.map((p) => [p.id, frozen(trainConfigSchema.parse(p.config))]));

/** Shared by every caller, so no caller may change it. */
function frozen(config: TrainConfig): TrainConfig {
  Object.freeze(config.augmentPolicy);
  return Object.freeze(config);
}

export function presetConfig(id: string): TrainConfig {
  const config = presetConfigs.get(id);
  if (!config)
    throw new ApiError(
      'invalid_input',
      `Unknown preset "${id}". Choose one of: ${presets.map((p) => p.id).join(', ')}.`,
      'preset',
    );
  return config;
}

/**
 * A run's config from a preset (or the defaults) and the changes made to it: the one place a
 * config is resolved. The Train form checks its fields with it as they are edited; the
 * training.start and training.estimate handlers call it once. An invalid value is refused
 * naming its field (`config.lrG`).
 */
export function resolveTrainConfig(preset: string | undefined, changes: TrainConfigPatch): TrainConfig {
  const base = preset ? presetConfig(preset) : defaultTrainConfig;
  const parsed = trainConfigSchema.safeParse({ ...base, ...changes });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? ['config', ...issue.path.map(String)].join('.') : 'config';
    throw new ApiError('invalid_input', `Invalid "${field}": ${issue?.message ?? 'bad value'}.`, field);
  }
  return parsed.data;
}

/** The limits of a number field, as the schema sets them (the form's inputs take them from here). */
export interface NumberLimits {
  min: number | undefined;
  max: number | undefined;
  integer: boolean;
}

type JsonSchemaNumber = {
  type?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
};

/**
 * Every number field's limits, read from the schema itself. An exclusive bound (a learning rate
 * above 0, a decay below 1) is given as the bound: an input cannot say "below"; resolving the
 * config says it instead.
 */
export const numberLimits: Partial<Record<ConfigField, NumberLimits>> = Object.fromEntries(
  Object.entries((z.toJSONSchema(configShape) as { properties: Record<string, JsonSchemaNumber> }).properties)
    .filter(([, p]) => p.type === 'number' || p.type === 'integer')
    .map(([key, p]) => [
      key,
      {
        min: p.minimum ?? p.exclusiveMinimum,
        max: p.maximum ?? p.exclusiveMaximum,
        integer: p.type === 'integer',
      },
    ]),
);
