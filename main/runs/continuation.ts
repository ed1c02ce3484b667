import { configFields, type ContinueChanges, type TrainConfig } from '../../shared/config.js';
import { ApiError } from '../../shared/errors.js';
import type { ConfigChange, RunStatus } from '../../shared/types.js';

/** Statuses a run can continue from: every one where no process is training it. */
export const continuableStatuses: readonly RunStatus[] = [
  'paused',
  'stopped',
  'failed',
  'interrupted',
  'finished',
];

export interface ContinueRequest {
  /** The checkpoint to go on from; the latest when absent. */
  fromStep?: number | undefined;
  changes: ContinueChanges;
}

export interface ContinuationPlan {
  config: TrainConfig;
  changes: ConfigChange[];
  /** The checkpoint training goes on from; null when the run has none and starts over. */
  fromStep: number | null;
  /** Checkpoints after fromStep: they belong to steps that will be trained again. */
  discard: number[];
}

interface PlannedRun {
  name: string;
  status: RunStatus;
  config: TrainConfig;
}

/**
 * Decides what continuing a run means: which checkpoint, which config, what changes and what
 * is discarded. Refuses, saying why and what to do, what cannot work: a run not at rest, a
 * checkpoint that is not there, a starred checkpoint that would be discarded, or a total of
 * steps the run has already reached.
 */
export function planContinuation(
  run: PlannedRun,
  checkpoints: readonly { step: number; starred: boolean }[],
  request: ContinueRequest,
): ContinuationPlan {
  if (!continuableStatuses.includes(run.status)) {
    throw new ApiError(
      'conflict',
      `Run "${run.name}" is ${run.status}. Pause or stop it first, then continue it with the changes.`,
    );
  }
  const steps = checkpoints.map((c) => c.step);
  if (request.fromStep !== undefined && !steps.includes(request.fromStep)) {
    throw new ApiError(
      'not_found',
      steps.length === 0
        ? `Run "${run.name}" has no checkpoints, so it can only continue from step 0: leave the checkpoint out.`
        : `Run "${run.name}" has no checkpoint at step ${request.fromStep}. Choose one of steps ${steps.join(', ')}.`,
      'fromStep',
    );
  }
  const fromStep = request.fromStep ?? steps.at(-1) ?? null;
  const later = checkpoints.filter((c) => fromStep !== null && c.step > fromStep);
  const starred = later.find((c) => c.starred);
  if (starred) {
    throw new ApiError(
      'conflict',
      `Continuing run "${run.name}" from step ${fromStep} would discard the starred checkpoint at step ${starred.step}. ` +
        'Unstar it first, or continue from it.',
      'fromStep',
    );
  }
  const config: TrainConfig = { ...run.config };
  for (const [field, value] of Object.entries(request.changes)) {
    if (value !== undefined) Object.assign(config, { [field]: value });
  }
  const at = fromStep ?? 0;
  if (config.steps <= at) {
    throw new ApiError(
      'invalid_input',
      run.status === 'finished' && request.changes.steps === undefined
        ? `Run "${run.name}" has finished all ${run.config.steps} steps. Give it more steps to continue, e.g. ${run.config.steps * 2} in total.`
        : `Run "${run.name}" continues from step ${at}, so its total must be more than ${at} steps (asked: ${config.steps}).`,
      'changes.steps',
    );
  }
  const changes = configFields
    .filter((field) => JSON.stringify(config[field]) !== JSON.stringify(run.config[field]))
    .map((field) => ({ field, from: run.config[field], to: config[field] }));
  return { config, changes, fromStep, discard: later.map((c) => c.step) };
}
