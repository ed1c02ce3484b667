import { afterEach } from 'vitest';
import type { MethodInput, MethodName, MethodResult } from '../../shared/api.js';
import { invoke } from '../../main/api/router.js';
import { Studio, type StudioOptions } from '../../main/studio.js';
import type { AnyEvent } from '../../main/api/event-bus.js';
import type { AddDatasetInput } from '../../main/datasets/service.js';
import { writePngs } from './images.js';
import { tempDir } from './temp.js';

const opened: Studio[] = [];

/**
 * A Studio on a real SQLite store in dataDir (a fresh temporary folder unless given), as `serve`
 * opens it; closed after the test, before its temporary folders go (hooks run in reverse order).
 */
export function openStudio(dataDir = tempDir(), options: Partial<StudioOptions> = {}): Studio {
  const studio = new Studio({ dataDir, shell: 'serve', ...options });
  opened.push(studio);
  return studio;
}

afterEach(async () => {
  for (const studio of opened.splice(0)) await studio.close();
});

export interface StudioWithDataset {
  s: Studio;
  datasetId: string;
  /** Every event since the Studio opened, as the UI hears them. */
  events: AnyEvent[];
}

/**
 * A Studio with one scanned dataset: the folder `images`, or else eight distinct 32 px PNGs (the
 * fewest that fill two batches of four).
 */
export async function studioWithDataset(
  options: {
    dataDir?: string;
    images?: string;
    cache?: AddDatasetInput['cache'];
    studio?: Partial<StudioOptions>;
  } = {},
): Promise<StudioWithDataset> {
  const images = options.images ?? (await writePngs(tempDir(), 8, (i) => ({ r: 30 * i, g: 60, b: 200 })));
  const s = openStudio(options.dataDir, options.studio);
  const events: AnyEvent[] = [];
  s.events.subscribe((e) => events.push(e));
  const dataset = await s.datasets.add({ path: images, cache: options.cache });
  await s.datasets.waitForScan(dataset.id);
  return { s, datasetId: dataset.id, events };
}

/** Resolves once the run has reported reaching `step`. */
export function untilStep(s: Studio, runId: string, step: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const off = s.events.subscribe((e) => {
      if (e.name === 'run.progress' && e.payload.runId === runId && e.payload.step >= step) {
        off();
        resolve();
      }
    });
  });
}

/** Calls the API through the router, as the UI does (its validation, its errors thrown as ApiError). */
export function api<M extends MethodName>(
  s: Studio,
  method: M,
  input: MethodInput<M>,
): Promise<MethodResult<M>> {
  return invoke(s.router, method, input);
}

/** Starts a run as the Train form does: training.start through the router. */
export function startRun(
  s: Studio,
  input: MethodInput<'training.start'>,
): Promise<MethodResult<'training.start'>> {
  return api(s, 'training.start', input);
}
