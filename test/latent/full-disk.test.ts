import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canMountSmallDisk, smallDisk } from '../helpers/small-disk.js';
import { Studio } from '../../main/studio.js';
import { startRun } from '../helpers/studio.js';
import { writePngs } from '../helpers/images.js';
import { tempDir } from '../helpers/temp.js';
import { tinyModel } from '../helpers/train-config.js';

// Registered after small-disk's hook, so it runs first: the Studio closes before its disk goes.
let studio: Studio | null = null;
afterEach(async () => {
  await studio?.close();
  studio = null;
});

describe.skipIf(!canMountSmallDisk)('the latent explorer on a disk without room (tmpfs)', () => {
  it('refuses a set or an export that would not fit, saying how much it needs, and makes what fits', async () => {
    const disk = smallDisk(32);
    const s = (studio = new Studio({
      dataDir: path.join(disk.dir, 'data'),
      shell: 'serve',
      latentBackend: 'wasm',
    }));
    const images = await writePngs(tempDir(), 8, (i) => ({ r: 30 * i, g: 60, b: 200 }));
    const dataset = await s.datasets.add({ path: images });
    await s.datasets.waitForScan(dataset.id);
    const run = await startRun(s, {
      datasetId: dataset.id,
      config: { ...tinyModel, resolution: 32, steps: 4, threads: 1, sampleEvery: 0 },
    });
    await s.training.whenIdle(run.id);
    expect(s.runs.get(run.id)?.status).toBe('finished');
    disk.fill(840 * 1024);

    const refused = (pattern: RegExp) => ({
      ok: false,
      error: { code: 'unavailable', message: expect.stringMatching(pattern) },
    });
    expect(await s.router.call('latent.generate', { runId: run.id, count: 1000 })).toMatchObject(
      refused(
        /Not enough disk space to generate 1,000 images: it needs about [\d.]+ MB, and 0\.\d MB is free.*generate fewer images/,
      ),
    );
    expect(s.latent.listJobs()).toEqual([]);
    expect(
      await s.router.call('latent.export', {
        runId: run.id,
        seeds: [1, 2, 3],
        framesPerSegment: 60,
        format: 'gif',
        scale: 8,
      }),
    ).toMatchObject(refused(/Not enough disk space to export 121 frames of 256×256 px.*fewer frames/));

    // What fits is made.
    expect(await s.router.call('latent.exportSample', { runId: run.id, seed: 1 })).toMatchObject({
      ok: true,
    });
    expect(await s.router.call('latent.exportModel', { runId: run.id })).toMatchObject({ ok: true });
  });
});
