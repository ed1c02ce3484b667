import type { BackendName } from '../../shared/config.js';
import type { BackendStatus } from '../../shared/types.js';
import type { InterpolationMode } from '../training/engine/latent.js';

/**
 * Messages between the latent service (main thread) and a generator worker thread. The worker
 * does everything that touches TensorFlow.js or many pixels: generating, encoding images,
 * writing generated sets, the memorisation check and the model export. Paths in requests were
 * chosen and checked by the service; the worker writes nowhere else.
 */

/** Which generator: a run's checkpoint file and which of its weights. */
export interface GeneratorSource {
  runId: string;
  /** Absolute path of the checkpoint file. */
  checkpointFile: string;
  step: number;
  /** The EMA copy (what the sample grid shows) or the raw generator. */
  weights: 'ema' | 'g';
}

export interface PathSpec {
  seeds: number[];
  mode: InterpolationMode;
  framesPerSegment: number;
  truncation: number;
}

export type AnimationFormat = 'gif' | 'webp' | 'strip';

/** The manifest's description of the set, written with it (see generate-set.ts). */
export interface SetDescription {
  run: { id: string; name: string };
  generatedBy: string;
}

/** A generated data set to write: which seeds, at what ψ, where, and what its manifest says. */
export interface SetSpec {
  seedStart: number;
  count: number;
  truncation: number;
  /** An empty folder the service created for this set. */
  folder: string;
  description: SetDescription;
}

export type LatentRequest =
  | { kind: 'samples'; source: GeneratorSource; seeds: number[]; truncation: number }
  | { kind: 'path'; source: GeneratorSource; path: PathSpec }
  | {
      kind: 'export-animation';
      source: GeneratorSource;
      path: PathSpec;
      format: AnimationFormat;
      frameMs: number;
      scale: number;
      /** Absolute file to write (a new name in the exports folder). */
      file: string;
    }
  | {
      kind: 'export-sample';
      source: GeneratorSource;
      seed: number;
      truncation: number;
      scale: number;
      file: string;
    }
  | ({ kind: 'generate-set'; source: GeneratorSource } & SetSpec)
  | {
      kind: 'nearest';
      source: GeneratorSource;
      seeds: number[];
      truncation: number;
      /** The run's dataset cache at its resolution (main/datasets cache format). */
      cacheFile: string;
      threshold: number;
    }
  | {
      kind: 'export-model';
      source: GeneratorSource;
      /** An empty folder the service created for the model. */
      folder: string;
      metadata: Record<string, unknown>;
      generatedBy: string;
    };

export interface GeneratorInfo {
  resolution: number;
  latentSize: number;
  backend: BackendName;
}

export interface EncodedFrame {
  segment: number;
  t: number;
  keyframe: boolean;
  png: Uint8Array;
}

export interface NearestMatch {
  seed: number;
  png: Uint8Array;
  /** Index of the nearest training image in the cache. */
  index: number;
  nearestPng: Uint8Array;
  /** Root-mean-square pixel difference on a 0–1 scale. */
  distance: number;
}

export type LatentResult =
  | { kind: 'samples'; info: GeneratorInfo; images: Uint8Array[] }
  | { kind: 'path'; info: GeneratorInfo; frames: EncodedFrame[] }
  | {
      kind: 'file';
      info: GeneratorInfo;
      file: string;
      bytes: number;
      frames: number;
      width: number;
      height: number;
    }
  | { kind: 'set'; info: GeneratorInfo; count: number; cancelled: boolean }
  | { kind: 'nearest'; info: GeneratorInfo; trainingCount: number; matches: NearestMatch[] }
  | { kind: 'model'; info: GeneratorInfo; files: { name: string; bytes: number }[] };

export type ToLatentWorker =
  | { type: 'request'; id: number; request: LatentRequest }
  /** Stop a running generate-set request; it ends with cancelled: true. */
  | { type: 'cancel'; id: number };

export type FromLatentWorker =
  /** The backend it computes on, once chosen (before the first result). */
  | { type: 'backend'; backend: BackendName; notes: BackendStatus[] }
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'result'; id: number; result: LatentResult }
  | { type: 'error'; id: number; message: string };

/** workerData of a latent worker. */
export interface LatentWorkerData {
  backend: 'auto' | BackendName;
  /** CPU threads for wasm, as TrainConfig.threads (0 = auto). */
  threads: number;
}

/** The path a request names, without what else it carries (the worker would be sent it all). */
export function pathSpec({ seeds, mode, framesPerSegment, truncation }: PathSpec): PathSpec {
  return { seeds, mode, framesPerSegment, truncation };
}
