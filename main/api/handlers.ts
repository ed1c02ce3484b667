import { toCheckpointInfo, toSummary } from '../store/runs.js';
import { ApiError } from '../../shared/errors.js';
import type { Handlers } from './router.js';
import type { Studio } from './studio.js';

/** One handler per API method; inputs arrive validated against their shared/ schemas. */
export function createHandlers(studio: Studio): Handlers {
  const { runs, datasets, training, runService } = studio;
  const { latent } = studio;
  const checkpointsOf = (id: string) => runs.checkpoints(id).map(toCheckpointInfo);
  const requireRun = (id: string) => {
    const run = runs.get(id);
    if (!run)
      throw new ApiError(
        'not_found',
        `There is no run "${id}". It may have been deleted; refresh the runs list.`,
        'id',
      );
    return run;
  };

  return {
    'app.info': () => studio.info(),

    'datasets.list': () => datasets.list(),
    'datasets.get': ({ id }) => datasets.get(id),
    'datasets.add': (input) => datasets.add(input),
    'datasets.rescan': ({ id }) => datasets.rescan(id),
    'datasets.cancelScan': ({ id }) => ({ cancelled: datasets.cancelScan(id) }),
    'datasets.remove': ({ id }) => ({ removed: datasets.remove(id) }),
    'datasets.files': (input) => datasets.files(input),
    'datasets.buildCache': async (input) => {
      const { key, count } = await datasets.buildCache(input);
      return { key, count };
    },

    'runs.list': (query) => runService.list(query),
    'runs.get': ({ id }) => runService.detail(id),
    'runs.update': ({ id, ...patch }) => {
      requireRun(id);
      const run = toSummary(runs.update(id, patch)!);
      // Every window and tab showing the run renames it at once.
      studio.events.emit('run.updated', { run });
      return run;
    },
    'runs.delete': async ({ id }) => {
      const deleted = await training.delete(id);
      latent.forgetRun(id);
      return { deleted };
    },
    'runs.starCheckpoint': ({ id, step, starred }) => {
      requireRun(id);
      if (!runs.setStarred(id, step, starred)) {
        throw new ApiError(
          'not_found',
          `Run "${id}" has no checkpoint at step ${step}; it may have been pruned. Refresh the run.`,
          'step',
        );
      }
      studio.events.emit('run.checkpoints', { runId: id, checkpoints: checkpointsOf(id) });
      return { step, starred };
    },
    'runs.metrics': ({ id, names, maxPoints }) => runService.series([id], names, maxPoints).runs[0]!,
    'runs.series': ({ ids, names, maxPoints }) => runService.series(ids, names, maxPoints),
    'runs.compare': ({ ids }) => runService.compare(ids),
    'runs.export': ({ ids, format, maxPoints }) => runService.export(ids, format, maxPoints),

    'training.start': (input) => training.start(input),
    'training.estimate': (input) => studio.estimate(input),
    'training.pause': ({ id }) => training.pause(id),
    'training.resume': ({ id, backend }) => training.resume(id, backend),
    'training.stop': ({ id }) => training.stop(id),
    'training.continue': ({ id, fromStep, changes }) => training.continue(id, { fromStep, changes }),

    'latent.runs': () => latent.runs(),
    'latent.samples': (input) => latent.samples(input),
    'latent.path': (input) => latent.path(input),
    'latent.export': (input) => latent.exportPath(input),
    'latent.exportSample': (input) => latent.exportSample(input),
    'latent.generate': (input) => latent.generate(input),
    'latent.cancel': ({ jobId }) => latent.cancel(jobId),
    'latent.jobs': () => latent.listJobs(),
    'latent.nearest': (input) => latent.nearest(input),
    'latent.exportModel': (input) => latent.exportModel(input),
  };
}
