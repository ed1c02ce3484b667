import { toSummary } from '../store/runs.js';
import { ApiError } from '../../shared/errors.js';
import type { Handlers } from './router.js';
import type { Studio } from './studio.js';

/** One handler per API method; inputs arrive validated against their shared/ schemas. */
export function createHandlers(studio: Studio): Handlers {
  const { runs, datasets, training } = studio;
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

    'runs.list': ({ status }) => runs.list(status ? { status } : {}).map(toSummary),
    'runs.get': ({ id }) => training.detail(id),
    'runs.update': ({ id, ...patch }) => {
      requireRun(id);
      return toSummary(runs.update(id, patch)!);
    },
    'runs.delete': async ({ id }) => ({ deleted: await training.delete(id) }),
    'runs.starCheckpoint': ({ id, step, starred }) => {
      requireRun(id);
      if (!runs.setStarred(id, step, starred)) {
        throw new ApiError(
          'not_found',
          `Run "${id}" has no checkpoint at step ${step}; it may have been pruned. Refresh the run.`,
          'step',
        );
      }
      return { step, starred };
    },
    'runs.metrics': ({ id, names, maxPoints }) => {
      requireRun(id);
      return runs.metrics(id, names, maxPoints);
    },

    'training.start': (input) => training.start(input),
    'training.pause': ({ id }) => training.pause(id),
    'training.resume': ({ id, backend }) => training.resume(id, backend),
    'training.stop': ({ id }) => training.stop(id),
  };
}
