import { ApiError } from '../../../shared/errors.js';
import type { Emit } from '../../../shared/events.js';
import type { RecoveryReport } from '../../../shared/types.js';
import type { RunsService } from '../../runs/service.js';
import { toCheckpointInfo, toSummary, type RunStore } from '../../store/runs.js';
import type { GroupHandlers } from '../router.js';

export interface RunHandlerDeps {
  runs: RunStore;
  runService: RunsService;
  emit: Emit;
  /** Deletes a run with everything only it could reach: its folder and its exports. */
  deleteRun(id: string): Promise<boolean>;
  /** Writes what the run's folder says of it again (its name, tags, notes). */
  describeRun(id: string): void;
  /** Rebuilds the runs whose folders the store does not know (training/host/recovery.ts). */
  recover(behindToo: boolean): Promise<RecoveryReport>;
}

export function runHandlers({
  runs,
  runService,
  emit,
  deleteRun,
  describeRun,
  recover,
}: RunHandlerDeps): GroupHandlers<'runs'> {
  return {
    'runs.list': (query) => runService.list(query),
    'runs.get': ({ id }) => runService.detail(id),
    'runs.update': ({ id, ...patch }) => {
      runs.require(id);
      const run = toSummary(runs.update(id, patch)!);
      describeRun(id);
      // Every window and tab showing the run renames it at once.
      emit('run.updated', { run });
      return run;
    },
    'runs.delete': async ({ id }) => ({ deleted: await deleteRun(id) }),
    'runs.recover': ({ behindToo }) => recover(behindToo),
    'runs.starCheckpoint': ({ id, step, starred }) => {
      runs.require(id);
      if (!runs.setStarred(id, step, starred)) {
        throw new ApiError(
          'not_found',
          `Run "${id}" has no checkpoint at step ${step}; it may have been pruned. Refresh the run.`,
          'step',
        );
      }
      emit('run.checkpoints', { runId: id, checkpoints: runs.checkpoints(id).map(toCheckpointInfo) });
      return { step, starred };
    },
    'runs.metrics': ({ id, names, maxPoints }) => runService.series([id], names, maxPoints).runs[0]!,
    'runs.series': ({ ids, names, maxPoints }) => runService.series(ids, names, maxPoints),
    'runs.compare': ({ ids }) => runService.compare(ids),
    'runs.export': ({ ids, format, maxPoints }) => runService.export(ids, format, maxPoints),
  };
}
