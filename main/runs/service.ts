import { ApiError } from '../../shared/errors.js';
import { mediaUrls } from '../../shared/media-urls.js';
import type {
  DatasetStatus,
  ExportFile,
  RunComparison,
  RunDetail,
  RunSeries,
  RunSummary,
  SeriesSet,
} from '../../shared/types.js';
import { toCheckpointInfo, toSummary, type RunStore } from '../store/runs.js';
import { configRows, unionOfSteps } from './compare.js';
import { exportFileName, toCsv, toJson, type ExportSeries } from './export.js';
import { queryRuns, type RunQuery } from './query.js';
import { trainedSoFar, trainingSeconds } from './sessions.js';

export interface RunDatasets {
  get(
    id: string,
  ): { id: string; name: string; path: string; imageCount: number; status: DatasetStatus } | undefined;
}

export interface RunsServiceOptions {
  runs: RunStore;
  datasets: RunDatasets;
}

/**
 * Past runs as the user looks at them: the list (filtered, sorted), one run's full story, and
 * several runs side by side. Reads only; training and its history are written by the manager.
 */
export class RunsService {
  constructor(private readonly opts: RunsServiceOptions) {}

  list(query: RunQuery): RunSummary[] {
    const now = Date.now();
    const { runs } = this.opts;
    const summaries = runs.list().map((run) => {
      const summary = toSummary(run);
      // A training run's time so far, not what the store held when its session began.
      return run.status === 'running'
        ? { ...summary, trainSeconds: trainedSoFar(run, runs.history(run.id), now) }
        : summary;
    });
    return queryRuns(summaries, query);
  }

  detail(id: string): RunDetail {
    const run = this.opts.runs.require(id);
    const { runs } = this.opts;
    const history = runs.history(id);
    const dataset = run.datasetId ? this.opts.datasets.get(run.datasetId) : undefined;
    const { owner: _owner, ...record } = run;
    return {
      ...record,
      dataset: dataset
        ? {
            id: dataset.id,
            name: dataset.name,
            path: dataset.path,
            imageCount: dataset.imageCount,
            status: dataset.status,
          }
        : null,
      samples: runs.samples(id).map((s) => ({ step: s.step, url: mediaUrls.runFile(id, s.file) })),
      checkpoints: runs.checkpoints(id).map(toCheckpointInfo),
      history,
      startedAt: history.find((e) => e.kind === 'started')?.at ?? null,
      finishedAt:
        run.status === 'finished' ? (history.findLast((e) => e.kind === 'finished')?.at ?? null) : null,
      stats: runs.metricStore.stats(id),
    };
  }

  /** Series of several runs on one step grid, with training time beside every step. */
  series(ids: readonly string[], names: readonly string[] | undefined, maxPoints: number): SeriesSet {
    for (const id of ids) this.opts.runs.require(id);
    const stored = this.opts.runs.metricStore.read(ids, names, maxPoints);
    return {
      bucket: stored.bucket,
      runs: stored.runs.map(({ runId, metrics }): RunSeries => {
        const history = this.opts.runs.history(runId);
        return {
          runId,
          metrics: Object.fromEntries(
            Object.entries(metrics).map(([name, columns]) => [
              name,
              { ...columns, seconds: trainingSeconds(history, columns.wall) },
            ]),
          ),
        };
      }),
    };
  }

  compare(ids: readonly string[]): RunComparison {
    if (new Set(ids).size !== ids.length) {
      throw new ApiError('invalid_input', 'A run is listed twice: compare different runs.', 'ids');
    }
    const runs = ids.map((id) => this.detail(id));
    const config = configRows(runs.map((r) => r.config));
    return {
      runs,
      config,
      differing: config.filter((row) => row.differs).map((row) => row.field),
      sampleSteps: unionOfSteps(runs.map((r) => r.samples)),
    };
  }

  /**
   * Runs' metrics as a CSV or JSON file: every recorded row, or with maxPoints the series as
   * a comparison shows them (same grid, bucket means). JSON also carries each run's config,
   * history, checkpoints and final values.
   */
  export(ids: readonly string[], format: 'csv' | 'json', maxPoints?: number): ExportFile {
    const details = ids.map((id) => this.detail(id));
    const store = this.opts.runs.metricStore;
    let bucket = 0;
    let columns: Record<string, { step: number[]; wall: number[]; value: number[] }>[];
    if (maxPoints === undefined) {
      columns = details.map((run) =>
        Object.fromEntries(store.names(run.id).map(({ name }) => [name, store.points(run.id, name)])),
      );
    } else {
      const stored = store.read(ids, undefined, maxPoints);
      bucket = stored.bucket;
      columns = stored.runs.map((r) => r.metrics);
    }
    const series: ExportSeries[] = details.map(({ samples: _samples, ...run }, i) => ({
      run,
      metrics: Object.fromEntries(
        Object.entries(columns[i]!).map(([name, { step, wall, value }]) => [
          name,
          { step, wall, value, seconds: trainingSeconds(run.history, wall) },
        ]),
      ),
    }));
    return {
      fileName: exportFileName(details, format),
      mimeType: format === 'csv' ? 'text/csv' : 'application/json',
      content: format === 'csv' ? toCsv(series) : toJson(series, { bucket }),
    };
  }
}
