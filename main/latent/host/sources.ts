import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../shared/errors.js';
import type { GeneratorWeights, LatentGenerator } from '../../../shared/types.js';
import { dataPaths } from '../../common/paths.js';
import type { RunRecord, RunStore } from '../../store/runs.js';
import type { GeneratorSource, LatentResult } from '../protocol.js';

/** A run's generator as a request names it: its latest checkpoint and EMA weights by default. */
export type GeneratorRef = {
  runId: string;
  step?: number | undefined;
  weights?: GeneratorWeights | undefined;
};

/** Which checkpoint file and weights a request means, refused in words where there is none. */
export class GeneratorSources {
  constructor(
    private readonly runs: RunStore,
    private readonly dataDir: string,
  ) {}

  /** The checkpoint file and weights a request names: the latest checkpoint and EMA by default. */
  resolve(ref: GeneratorRef): { run: RunRecord; source: GeneratorSource } {
    const run = this.runs.require(ref.runId, 'runId');
    const checkpoints = this.runs.checkpoints(run.id);
    if (checkpoints.length === 0) {
      throw new ApiError(
        'conflict',
        `Run "${run.name}" has no checkpoint yet, so it has no generator to explore. A checkpoint is written every ` +
          `${run.config.checkpointMinutes} min while it trains and whenever it pauses or stops.`,
        'runId',
      );
    }
    const checkpoint =
      ref.step === undefined ? checkpoints.at(-1)! : checkpoints.find((c) => c.step === ref.step);
    if (!checkpoint) {
      throw new ApiError(
        'not_found',
        `Run "${run.name}" has no checkpoint at step ${ref.step}; it has ${checkpoints.map((c) => c.step).join(', ')}. ` +
          'Older checkpoints are pruned unless starred.',
        'step',
      );
    }
    const file = path.join(dataPaths.run(this.dataDir, run.id), checkpoint.file);
    if (!fs.existsSync(file)) {
      throw new ApiError(
        'not_found',
        `The checkpoint at step ${checkpoint.step} of run "${run.name}" is missing from its folder. Choose another checkpoint.`,
        'step',
      );
    }
    const weights: GeneratorWeights = ref.weights ?? (run.config.emaDecay > 0 ? 'ema' : 'g');
    return { run, source: { runId: run.id, checkpointFile: file, step: checkpoint.step, weights } };
  }

  describe(source: GeneratorSource, result: LatentResult): LatentGenerator {
    return {
      runId: source.runId,
      step: source.step,
      weights: source.weights,
      resolution: result.info.resolution,
      latentSize: result.info.latentSize,
      backend: result.info.backend,
    };
  }
}
