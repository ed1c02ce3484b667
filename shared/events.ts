import type { BackendName } from './config.js';
import type { CheckpointInfo, DatasetSummary, HealthWarning, RunStatus, RunSummary } from './types.js';
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
  'run.metrics': {
    runId: string;
    /**
     * wallTime: ms since the epoch; seconds: training time (pauses left out), as runs.metrics
     * gives them, so live points extend the charts on any x axis.
     */
    points: { step: number; wallTime: number; seconds: number; values: Record<string, number> }[];
  };
  'run.sample': { runId: string; step: number; url: string };
  /** A health warning, as also recorded in the run's history. */
  'run.warning': { runId: string; warning: HealthWarning; at: number };
  /** A run's row changed (renamed, tagged, continued with a new config, moved on a step). */
  'run.updated': { run: RunSummary };
  /** A run's checkpoints changed: one written, pruned, starred or discarded. */
  'run.checkpoints': { runId: string; checkpoints: CheckpointInfo[] };
  /**
   * A speed calibration for training.estimate is under way: what it times (e.g. "64 px, width 1,
   * batch 64"), on which backend once chosen, and how many of its timed steps are done.
   */
  'training.calibration': { label: string; backend: BackendName | null; done: number; total: number };
  'dataset.progress': {
    datasetId: string;
    phase: 'scanning' | 'caching' | 'thumbnails';
    done: number;
    total: number | null;
    /**
     * While scanning: the dataset's counts as the files scanned so far make them (its record
     * keeps the last complete scan's until this one ends).
     */
    found?: Pick<DatasetSummary, 'imageCount' | 'skippedCount' | 'duplicateCount'>;
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
  'training.calibration',
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
