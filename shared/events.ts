import type { CheckpointInfo, HealthWarning, RunStatus, RunSummary } from './types.js';
import type { GenerationJob } from './types.js';

/** Events pushed from the engine to the UI. Each is declared once, with its payload type. */
export interface EventPayloads {
  'run.status': { runId: string; status: RunStatus; step: number; error: string | null };
  'run.progress': {
    runId: string;
    step: number;
    totalSteps: number;
    imagesPerSecond: number;
    etaSeconds: number | null;
  };
  'run.metrics': { runId: string; points: { step: number; values: Record<string, number> }[] };
  'run.sample': { runId: string; step: number; url: string };
  /** A health warning, as also recorded in the run's history. */
  'run.warning': { runId: string; warning: HealthWarning; at: number };
  /** A run's row changed (renamed, tagged, continued with a new config, moved on a step). */
  'run.updated': { run: RunSummary };
  /** A run's checkpoints changed: one written, pruned, starred or discarded. */
  'run.checkpoints': { runId: string; checkpoints: CheckpointInfo[] };
  'dataset.progress': {
    datasetId: string;
    phase: 'scanning' | 'caching' | 'thumbnails';
    done: number;
    total: number | null;
  };
  'dataset.status': { datasetId: string };
  /** A generated data set's progress, at most ~10 times a second. */
  'latent.progress': {
    jobId: string;
    done: number;
    total: number;
    imagesPerSecond: number;
    etaSeconds: number | null;
  };
  /** A generated data set started, finished, was cancelled or failed. */
  'latent.job': { job: GenerationJob };
}

export type EventName = keyof EventPayloads;
export const eventNames = [
  'run.status',
  'run.progress',
  'run.metrics',
  'run.sample',
  'run.warning',
  'run.updated',
  'run.checkpoints',
  'dataset.progress',
  'dataset.status',
  'latent.progress',
  'latent.job',
] as const satisfies readonly EventName[];

// A compile error here means an event was added to EventPayloads but not to eventNames.
type MissingEvent = Exclude<EventName, (typeof eventNames)[number]>;
export const allEventsListed: [MissingEvent] extends [never] ? true : never = true;

/** Publishes one event; the engine's services take this rather than a transport. */
export type Emit = <E extends EventName>(name: E, payload: EventPayloads[E]) => void;
