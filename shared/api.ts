import { z } from 'zod';
import {
  cacheResolutions,
  continueChangesSchema,
  cropModes,
  trainConfigPatchSchema,
  backendNames,
  maxSeed,
} from './config.js';
import {
  runSortKeys,
  type AppInfo,
  type DatasetDetail,
  type DatasetFile,
  type DatasetSummary,
  type ExportFile,
  type RunComparison,
  type RunDetail,
  type RunSeries,
  type RecoveryReport,
  type RunSummary,
  type SeriesSet,
  type TrainingEstimate,
} from './types.js';
import type {
  GenerationJob,
  LatentExport,
  LatentPath,
  LatentRun,
  LatentSamples,
  MemorisationCheck,
  ModelExport,
} from './types.js';

/**
 * The API contract: every method once, with its input schema and result type. The router in
 * main/api implements it; IPC and WebSocket/HTTP are thin transports over that router.
 */
interface MethodSpec<I extends z.ZodType, O> {
  input: I;
  /** Phantom: carries the result type only. */
  result?: O;
}

function method<O>() {
  return <I extends z.ZodType>(input: I): MethodSpec<I, O> => ({ input });
}

const id = z.string().min(1).max(64);
const none = z.object({}).strict().default({});
const tag = z.string().trim().min(1).max(40);
const metricName = z.string().min(1).max(40);
const maxPoints = z.number().int().min(10).max(100_000).default(2000);

/** A latent seed, as the explorer and generated sets' manifests record them. */
const seed = z.number().int().min(0).max(maxSeed);
/** ψ: latents are scaled toward the mean latent (0) by this much; 1 leaves them as drawn. */
const truncation = z.number().min(0).max(2).default(1);
const scale = z.number().int().min(1).max(16).default(1);
/** A run's generator: its latest checkpoint unless a step is named; EMA weights where it has them. */
const generatorRef = {
  runId: id,
  step: z.number().int().min(0).optional(),
  weights: z.enum(['ema', 'g']).optional(),
};
/** Most frames a path may have: every one is generated and sent to the UI. */
export const maxPathFrames = 361;
const pathInput = {
  seeds: z.array(seed).min(2).max(16),
  mode: z.enum(['slerp', 'lerp']).default('slerp'),
  framesPerSegment: z.number().int().min(1).max(120).default(12),
  truncation,
};
function pathFits(input: { seeds: number[]; framesPerSegment: number }, ctx: z.RefinementCtx): void {
  const frames = (input.seeds.length - 1) * input.framesPerSegment + 1;
  if (frames > maxPathFrames) {
    ctx.addIssue({
      code: 'custom',
      path: ['framesPerSegment'],
      message: `the path would have ${frames} frames, more than ${maxPathFrames}: use fewer frames per segment or fewer seeds`,
    });
  }
}

/**
 * A folder's path from the root of its disk: /… (Linux, macOS), C:\… or \\server\share (Windows).
 * A relative one would be resolved against wherever the studio happens to run: "../.." became /.
 */
const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p), {
    message:
      "give the folder's full path, from the root of its disk (such as /home/me/images or C:\\Users\\me\\images), " +
      'not one relative to where GAN Studio runs (../images, ~/images)',
  });

export const methods = {
  'app.info': method<AppInfo>()(none),

  'datasets.list': method<DatasetSummary[]>()(none),
  'datasets.get': method<DatasetDetail>()(z.object({ id }).strict()),
  'datasets.add': method<DatasetSummary>()(
    z
      .object({
        path: absolutePath,
        name: z.string().trim().min(1).max(120).optional(),
        minSize: z.number().int().min(1).max(4096).default(16),
        /** Build the training cache at these settings during the scan (one decode per image). */
        cache: z
          .object({
            resolution: z.union(cacheResolutions.map((r) => z.literal(r))),
            crop: z.enum(cropModes).default('center'),
            flip: z.boolean().default(false),
          })
          .strict()
          .optional(),
      })
      .strict(),
  ),
  'datasets.rescan': method<DatasetSummary>()(z.object({ id }).strict()),
  'datasets.cancelScan': method<{ cancelled: boolean }>()(z.object({ id }).strict()),
  'datasets.remove': method<{ removed: boolean }>()(z.object({ id }).strict()),
  'datasets.files': method<{ total: number; files: DatasetFile[] }>()(
    z
      .object({
        id,
        status: z.enum(['all', 'used', 'skipped']).default('all'),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(5000).default(500),
      })
      .strict(),
  ),
  'datasets.buildCache': method<{ key: string; count: number }>()(
    z
      .object({
        id,
        resolution: z.union(cacheResolutions.map((r) => z.literal(r))),
        crop: z.enum(cropModes).default('center'),
        flip: z.boolean().default(false),
      })
      .strict(),
  ),

  'runs.list': method<RunSummary[]>()(
    z
      .object({
        status: z.string().max(20).optional(),
        datasetId: id.optional(),
        tag: tag.optional(),
        /** Words that must all appear in the name or the notes (any case). */
        search: z.string().trim().max(200).optional(),
        sort: z.enum(runSortKeys).default('created'),
        order: z.enum(['asc', 'desc']).default('desc'),
      })
      .strict()
      .default({ sort: 'created', order: 'desc' }),
  ),
  'runs.get': method<RunDetail>()(z.object({ id }).strict()),
  'runs.update': method<RunSummary>()(
    z
      .object({
        id,
        name: z.string().trim().min(1).max(120).optional(),
        tags: z.array(tag).max(32).optional(),
        notes: z.string().max(20_000).optional(),
      })
      .strict(),
  ),
  'runs.delete': method<{ deleted: boolean }>()(z.object({ id }).strict()),
  /**
   * Rebuilds the runs whose folders the store does not know (a lost, emptied or damaged
   * studio.db): their rows, checkpoints that verify, samples and charts, saying what was lost.
   */
  'runs.recover': method<RecoveryReport>()(
    z
      .object({
        /** Also the runs the store has an older state of (after an older backup was put back). */
        behindToo: z.boolean().default(false),
      })
      .strict()
      .default({ behindToo: false }),
  ),
  'runs.starCheckpoint': method<{ step: number; starred: boolean }>()(
    z.object({ id, step: z.number().int().min(0), starred: z.boolean() }).strict(),
  ),
  'runs.metrics': method<RunSeries>()(
    z.object({ id, names: z.array(metricName).max(20).optional(), maxPoints }).strict(),
  ),
  /** Several runs' series on one step grid, downsampled alike: what a comparison overlays. */
  'runs.series': method<SeriesSet>()(
    z
      .object({
        ids: z.array(id).min(1).max(8),
        names: z.array(metricName).max(20).optional(),
        maxPoints,
      })
      .strict(),
  ),
  'runs.compare': method<RunComparison>()(z.object({ ids: z.array(id).min(2).max(8) }).strict()),
  /**
   * Metrics of one or more runs as a file. Without maxPoints every recorded row; with it, the
   * series as a comparison shows them.
   */
  'runs.export': method<ExportFile>()(
    z
      .object({
        ids: z.array(id).min(1).max(8),
        format: z.enum(['csv', 'json']),
        maxPoints: z.number().int().min(10).max(100_000).optional(),
      })
      .strict(),
  ),

  'training.start': method<RunSummary>()(
    z
      .object({
        datasetId: id,
        name: z.string().trim().min(1).max(120).optional(),
        // Strict: a misspelt or unknown key (say `constructor`) is refused, not dropped silently.
        config: trainConfigPatchSchema.default({}),
        preset: z.string().max(40).optional(),
      })
      .strict(),
  ),
  /**
   * How long a run of these settings (a preset and changes, as training.start takes them) would
   * take on the backend that would train it. The first request for a model shape on this machine
   * and backend times a few steps in a worker thread (progress: training.calibration events);
   * later ones are answered from the cache in the data folder.
   */
  'training.estimate': method<TrainingEstimate>()(
    z
      .object({
        /** The dataset decides whether DiffAugment 'auto' is on, which changes the step's cost. */
        datasetId: id.optional(),
        config: trainConfigPatchSchema.default({}),
        preset: z.string().max(40).optional(),
      })
      .strict(),
  ),
  'training.pause': method<RunSummary>()(z.object({ id }).strict()),
  'training.resume': method<RunSummary>()(
    z.object({ id, backend: z.enum(['auto', ...backendNames]).optional() }).strict(),
  ),
  'training.stop': method<RunSummary>()(z.object({ id }).strict()),
  /**
   * Goes on training a stopped, paused, failed, interrupted or finished run from its latest
   * checkpoint (or the one at fromStep), with the changes given.
   */
  'training.continue': method<RunSummary>()(
    z
      .object({
        id,
        fromStep: z.number().int().min(0).optional(),
        changes: continueChangesSchema.default({}),
      })
      .strict(),
  ),

  // ---- latent explorer: a run's generator (main/latent) ----
  /** Runs with at least one checkpoint: what the explorer can open. */
  'latent.runs': method<LatentRun[]>()(none),
  /** One image per seed. */
  'latent.samples': method<LatentSamples>()(
    z.object({ ...generatorRef, seeds: z.array(seed).min(1).max(64), truncation }).strict(),
  ),
  /** Every frame of a path through the seeds' latents. */
  'latent.path': method<LatentPath>()(
    z
      .object({ ...generatorRef, ...pathInput })
      .strict()
      .superRefine(pathFits),
  ),
  /** The path as an animated GIF or WebP, or a PNG strip, written under the data folder's exports/. */
  'latent.export': method<LatentExport>()(
    z
      .object({
        ...generatorRef,
        ...pathInput,
        format: z.enum(['gif', 'webp', 'strip']),
        /** How long each frame shows, in ms. */
        frameMs: z.number().int().min(20).max(10_000).default(80),
        /** Whole-number enlargement (nearest neighbour). */
        scale,
      })
      .strict()
      .superRefine(pathFits),
  ),
  /** One seed's image as a PNG at the generator's resolution (times scale), under exports/. */
  'latent.exportSample': method<LatentExport>()(
    z.object({ ...generatorRef, seed, truncation, scale }).strict(),
  ),
  /**
   * Generates a data set of `count` PNGs (seeds seedStart … seedStart + count − 1) and its
   * manifest under the data folder's generated/; progress comes as latent.progress events.
   */
  'latent.generate': method<GenerationJob>()(
    z
      .object({
        ...generatorRef,
        count: z.number().int().min(1).max(100_000),
        seedStart: seed.default(0),
        truncation,
      })
      .strict(),
  ),
  'latent.cancel': method<GenerationJob>()(z.object({ jobId: id }).strict()),
  /** This session's data set generations, newest first. */
  'latent.jobs': method<GenerationJob[]>()(none),
  /** Each seed's sample beside its nearest training image, near-copies flagged. */
  'latent.nearest': method<MemorisationCheck>()(
    z
      .object({
        ...generatorRef,
        seeds: z.array(seed).min(1).max(64),
        truncation,
        /** RMS pixel difference (0–1) under which a sample counts as a copy. */
        threshold: z.number().gt(0).max(1).default(0.05),
      })
      .strict(),
  ),
  /** The generator as a TensorFlow.js LayersModel (model.json + weights) under exports/. */
  'latent.exportModel': method<ModelExport>()(
    z.object({ ...generatorRef, format: z.literal('tfjs').default('tfjs') }).strict(),
  ),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export const methodNames = Object.keys(methods) as MethodName[];
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodResult<M extends MethodName> = NonNullable<Methods[M]['result']>;

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}

/** Largest request body a transport accepts. */
export const maxRequestBytes = 1024 * 1024;
