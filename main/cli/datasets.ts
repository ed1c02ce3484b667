import fs from 'node:fs';
import path from 'node:path';
import { cacheResolutions, cropModes, type CacheResolution, type CropMode } from '../../shared/config.js';
import type { MethodResult } from '../../shared/api.js';
import type { DatasetSummary } from '../../shared/types.js';
import type { Studio } from '../studio.js';
import { api, openStudio, parse, printJson, until, UsageError } from './common.js';

export const datasetsUsage = `  gan-studio datasets add DIR [--resolution N] [--crop center|pad|stretch] [--json]
  gan-studio datasets list [--json]
  gan-studio datasets rescan (ID | DIR) [--json]
      Scans a dataset's folder again (after a cancelled or killed scan, or changed files).
`;

function datasetLine(d: DatasetSummary): string {
  return `${d.id}  ${d.status.padEnd(9)} ${String(d.imageCount).padStart(6)} images  ${String(d.skippedCount).padStart(5)} skipped  ${d.name}  (${d.path})`;
}

/**
 * The dataset once its scan has ended, following its status events as the UI does (and looking
 * again now and then: a scan another process runs sends no events here).
 */
function scanned(studio: Studio, id: string): Promise<MethodResult<'datasets.get'>> {
  return until(
    studio,
    'dataset.status',
    async () => {
      const detail = await api(studio, 'datasets.get', { id });
      return detail.status === 'scanning' ? null : detail;
    },
    (payload) => payload.datasetId === id,
  );
}

/** Adds a folder (the path as the user typed it, resolved here) and waits for its scan, with progress. */
export async function addDataset(
  studio: Studio,
  dir: string,
  json: boolean,
  cache?: { resolution: CacheResolution; crop: CropMode },
): Promise<MethodResult<'datasets.get'>> {
  const added = await api(studio, 'datasets.add', {
    path: path.resolve(dir),
    minSize: 16,
    ...(cache ? { cache } : {}),
  });
  let last = 0;
  const unsubscribe = studio.events.subscribe((e) => {
    if (json || e.name !== 'dataset.progress' || e.payload.datasetId !== added.id) return;
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    const { phase, done, total } = e.payload;
    process.stderr.write(`\r${phase} ${done}${total ? `/${total}` : ''}   `);
  });
  try {
    return await scanned(studio, added.id);
  } finally {
    unsubscribe();
    if (!json) process.stderr.write('\n');
  }
}

export async function datasets(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    resolution: { type: 'string' },
    crop: { type: 'string' },
  } as const);
  const studio = await openStudio(values['data-dir']);
  try {
    if (sub === 'list') {
      const list = await api(studio, 'datasets.list', {});
      if (values.json) printJson(list);
      else if (list.length === 0)
        process.stdout.write('No datasets yet. Add one: gan-studio datasets add DIR\n');
      else for (const d of list) process.stdout.write(`${datasetLine(d)}\n`);
      return;
    }
    if (sub === 'add') {
      const dir = positionals[0];
      if (!dir) throw new UsageError('Name the folder to add: gan-studio datasets add DIR');
      let settings: { resolution: CacheResolution; crop: CropMode } | undefined;
      if (values.resolution) {
        const resolution = Number(values.resolution);
        if (!(cacheResolutions as readonly number[]).includes(resolution))
          throw new UsageError(`--resolution must be ${cacheResolutions.join(', ')}.`);
        const crop = values.crop ?? 'center';
        if (!(cropModes as readonly string[]).includes(crop))
          throw new UsageError(`--crop must be ${cropModes.join(', ')}.`);
        settings = { resolution: resolution as CacheResolution, crop: crop as CropMode };
      }
      // The cache is built during the scan; buildCache then finds it (or builds it, if the scan
      // could not).
      const detail = await addDataset(studio, dir, values.json, settings);
      const cache =
        settings && detail.status === 'ready'
          ? await api(studio, 'datasets.buildCache', { id: detail.id, ...settings, flip: false })
          : null;
      if (values.json) printJson({ ...detail, cache });
      else {
        process.stdout.write(`${datasetLine(detail)}\n`);
        if (detail.error) process.stdout.write(`${detail.error}\n`);
        if (cache)
          process.stdout.write(
            `Training cache ${cache.key}: ${cache.count} images at ${values.resolution}px\n`,
          );
      }
      if (detail.status !== 'ready') process.exitCode = 1;
      return;
    }
    if (sub === 'rescan') {
      const target = positionals[0];
      if (!target) throw new UsageError('Name the dataset to rescan: gan-studio datasets rescan ID|DIR');
      // A dataset id, or the folder it was added from (by any path that leads to it).
      const list = await api(studio, 'datasets.list', {});
      const folder = await fs.promises.realpath(target).catch(() => path.resolve(target));
      const dataset = list.find((d) => d.id === target || d.path === folder);
      if (!dataset)
        throw new Error(`No dataset has the id or folder "${target}". Add it: gan-studio datasets add DIR`);
      await api(studio, 'datasets.rescan', { id: dataset.id });
      const detail = await scanned(studio, dataset.id);
      if (values.json) printJson(detail);
      else {
        process.stdout.write(`${datasetLine(detail)}\n`);
        if (detail.error) process.stdout.write(`${detail.error}\n`);
      }
      if (detail.status !== 'ready') process.exitCode = 1;
      return;
    }
    throw new UsageError(
      `Unknown datasets command "${sub ?? ''}". Use: datasets add DIR | datasets list | datasets rescan ID|DIR`,
    );
  } finally {
    await studio.close();
  }
}
