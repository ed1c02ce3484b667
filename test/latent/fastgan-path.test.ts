import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { Studio } from '../../main/studio.js';
import { seedLatent } from '../../main/training/engine/latent.js';
import { api, startRun } from '../helpers/studio.js';
import { writePngs } from '../helpers/images.js';
import { fileTempDir } from '../helpers/temp.js';
import { exportedModelImage } from '../helpers/exported-model.js';

/**
 * FastGAN-lite on every path a user takes, through the API as the UI and CLI call it: train,
 * continue, explore, export as a TensorFlow.js model, generate a set. (The engine's own tests
 * check its gradients and resumption; this checks that nothing on the way assumes DCGAN.)
 */

const dataDir = fileTempDir('gan-studio-fastgan-');
let studio: Studio | undefined;

afterAll(async () => {
  await studio?.close();
});

const pixelsOf = (png: Buffer) => sharp(png).removeAlpha().raw().toBuffer();

it('trains, continues, explores, exports and generates with FastGAN-lite', async () => {
  const images = await writePngs(fileTempDir('gan-studio-fastgan-images-'), 8, (i) => {
    const pixels = Buffer.alloc(32 * 32 * 3);
    for (let j = 0; j < pixels.length; j++) pixels[j] = (j * (i + 5) * 13 + i * 47) % 256;
    return pixels;
  });
  const s = (studio = new Studio({ dataDir, shell: 'serve', latentBackend: 'wasm' }));
  const dataset = await s.datasets.add({ path: images });
  await s.datasets.waitForScan(dataset.id);
  const config = {
    model: 'fastgan' as const,
    loss: 'hinge' as const,
    diffAugment: 'on' as const,
    resolution: 32 as const,
    steps: 4,
    batchSize: 4,
    width: 0.125,
    latentSize: 16,
    backend: 'wasm' as const,
    threads: 1,
  };
  const run = await startRun(s, { datasetId: dataset.id, config });
  await s.training.whenIdle(run.id);
  expect(s.runs.get(run.id)).toMatchObject({ status: 'finished', step: 4 });

  await api(s, 'training.continue', { id: run.id, changes: { steps: 8 } });
  await s.training.whenIdle(run.id);
  const detail = await api(s, 'runs.get', { id: run.id });
  expect(detail).toMatchObject({ status: 'finished', step: 8 });
  expect(detail.config.model).toBe('fastgan');
  expect(detail.history.find((e) => e.kind === 'continued')?.fromStep).toBe(4);

  const samples = await api(s, 'latent.samples', { runId: run.id, seeds: [1, 2] });
  expect(samples.step).toBe(8);
  expect(samples.images).toHaveLength(2);
  const walk = await api(s, 'latent.path', { runId: run.id, seeds: [1, 2], framesPerSegment: 3 });
  expect(walk.frames).toHaveLength(4);

  // The exported model gives the explorer's image for a seed.
  const exported = await api(s, 'latent.exportModel', { runId: run.id });
  const rgb = await exportedModelImage(exported.folder, seedLatent(1, 16));
  const shown = await pixelsOf(Buffer.from(samples.images[0]!.url.split(',')[1]!, 'base64'));
  expect(Math.max(...rgb.map((v, i) => Math.abs(v - shown[i]!)))).toBeLessThanOrEqual(2);

  const job = await api(s, 'latent.generate', { runId: run.id, count: 5, seedStart: 1 });
  expect(await s.latent.whenDone(job.id)).toMatchObject({ status: 'finished', done: 5 });
  const fromSet = await pixelsOf(fs.readFileSync(path.join(job.folder, 'seed-0000000001.png')));
  expect(Math.max(...fromSet.map((v, i) => Math.abs(v - shown[i]!)))).toBeLessThanOrEqual(1);
});
