import { z } from 'zod';
import {
  cacheResolutions,
  continueChangesSchema,
  cropModes,
  trainConfigPatchSchema,
  backendNames,
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
  type RunSummary,
  type SeriesSet,
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

export const methods = {
  'app.info': method<AppInfo>()(none),

  'datasets.list': method<DatasetSummary[]>()(none),
  'datasets.get': method<DatasetDetail>()(z.object({ id }).strict()),
  'datasets.add': method<DatasetSummary>()(
    z
      .object({
        path: z.string().min(1).max(4096),
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
