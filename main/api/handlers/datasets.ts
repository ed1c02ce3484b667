import type { DatasetService } from '../../datasets/service.js';
import type { GroupHandlers } from '../router.js';

export function datasetHandlers(datasets: DatasetService): GroupHandlers<'datasets'> {
  return {
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
  };
}
