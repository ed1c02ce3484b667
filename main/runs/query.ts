import type { RunSortKey, RunSummary } from '../../shared/types.js';

export interface RunQuery {
  status?: string | undefined;
  datasetId?: string | undefined;
  tag?: string | undefined;
  search?: string | undefined;
  sort: RunSortKey;
  order: 'asc' | 'desc';
}

type SortValue = string | number | null;

const sortValue: Record<RunSortKey, (r: RunSummary) => SortValue> = {
  name: (r) => r.name.toLowerCase(),
  status: (r) => r.status,
  dataset: (r) => r.datasetName?.toLowerCase() ?? null,
  resolution: (r) => r.resolution,
  loss: (r) => r.loss,
  lrG: (r) => r.lrG,
  lrD: (r) => r.lrD,
  batchSize: (r) => r.batchSize,
  steps: (r) => r.totalSteps,
  backend: (r) => r.backend,
  duration: (r) => r.trainSeconds,
  dLoss: (r) => r.lastDLoss,
  gLoss: (r) => r.lastGLoss,
  created: (r) => r.createdAt,
};

/**
 * Filters and sorts the runs list. Missing values (no dataset, no losses yet) sort last in
 * either order, so a sort by loss shows runs with losses first; ties keep newest first.
 */
export function queryRuns(runs: readonly RunSummary[], query: RunQuery): RunSummary[] {
  const words = (query.search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const tag = query.tag?.toLowerCase();
  const kept = runs.filter(
    (r) =>
      (!query.status || r.status === query.status) &&
      (!query.datasetId || r.datasetId === query.datasetId) &&
      (!tag || r.tags.some((t) => t.toLowerCase() === tag)) &&
      words.every((w) => r.name.toLowerCase().includes(w) || r.notes.toLowerCase().includes(w)),
  );
  const value = sortValue[query.sort];
  const direction = query.order === 'asc' ? 1 : -1;
  return kept
    .map((run) => ({ run, key: value(run) }))
    .sort((a, b) => {
      if (a.key === null || b.key === null) {
        if (a.key !== b.key) return a.key === null ? 1 : -1;
      } else if (a.key !== b.key) {
        return (a.key < b.key ? -1 : 1) * direction;
      }
      return b.run.createdAt - a.run.createdAt;
    })
    .map(({ run }) => run);
}
