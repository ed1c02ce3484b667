import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Studio } from '../../main/studio.js';
import { closeServed } from '../../main/api/media.js';
import type { AnyEvent } from '../../main/api/event-bus.js';
import type { MethodInput, MethodName, MethodResult } from '../../shared/api.js';
import { api as callApi, startRun } from '../helpers/studio.js';
import { writePngs } from '../helpers/images.js';
import { fileTempDir } from '../helpers/temp.js';
import { exportedModelImage } from '../helpers/exported-model.js';
import fsp from 'node:fs/promises';

/**
 * The latent service through the API router, as the UI and the CLI call it, on a tiny run
 * trained once for the whole file.
 */

let studio: Studio;
let runId: string;
let images: string;
const events: AnyEvent[] = [];
// The run lives for the whole file.
const dataDir = fileTempDir('gan-studio-latent-');

function api<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>> {
  return callApi(studio, method, input);
}

async function apiError(method: MethodName, input: unknown): Promise<{ code: string; message: string }> {
  const envelope = await studio.router.call(method, input);
  if (envelope.ok) throw new Error(`${method} succeeded`);
  return envelope.error;
}

function pngBytes(url: string): Buffer {
  expect(url.startsWith('data:image/png;base64,')).toBe(true);
  return Buffer.from(url.slice('data:image/png;base64,'.length), 'base64');
}

/** What the media route serves at a URL: its content type, or null when it serves nothing there. */
async function served(url: string): Promise<{ contentType: string } | null> {
  try {
    const file = await studio.media.open(url);
    await closeServed(file);
    return { contentType: file.contentType };
  } catch {
    return null;
  }
}

async function rawPixels(png: Buffer): Promise<Buffer> {
  return sharp(png).removeAlpha().raw().toBuffer();
}

beforeAll(async () => {
  images = await writePngs(fileTempDir('gan-studio-latent-images-'), 8, (i) => {
    const noise = Buffer.alloc(32 * 32 * 3);
    for (let j = 0; j < noise.length; j++) noise[j] = (j * (i + 3) * 37 + i * 91) % 256;
    return noise;
  });
  studio = new Studio({ dataDir, shell: 'serve', latentBackend: 'wasm' });
  studio.events.subscribe((e) => events.push(e));
  const dataset = await studio.datasets.add({ path: images });
  await studio.datasets.waitForScan(dataset.id);
  const run = await startRun(studio, {
    datasetId: dataset.id,
    config: {
      resolution: 32,
      steps: 6,
      batchSize: 4,
      width: 0.125,
      latentSize: 16,
      backend: 'wasm',
      threads: 1,
      sampleEvery: 0,
    },
  });
  runId = run.id;
  await studio.training.whenIdle(runId);
  expect(studio.runs.get(runId)?.status).toBe('finished');
}, 120_000);

afterAll(async () => {
  await studio?.close();
});

describe('latent explorer API', () => {
  it('lists the run with its checkpoint and gives one image per seed', async () => {
    const runs = await api('latent.runs', {});
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: runId, resolution: 32, latentSize: 16, ema: true });
    expect(runs[0]!.checkpoints.map((c) => c.step)).toEqual([6]);
    const samples = await api('latent.samples', { runId, seeds: [3, 4, 5], truncation: 0.8 });
    expect(samples).toMatchObject({ runId, step: 6, weights: 'ema', resolution: 32, backend: 'wasm' });
    expect(samples.images.map((i) => i.seed)).toEqual([3, 4, 5]);
    const meta = await sharp(pngBytes(samples.images[0]!.url)).metadata();
    expect([meta.width, meta.height]).toEqual([32, 32]);
    // The same seed gives the same picture whatever else is asked with it.
    const alone = await api('latent.samples', { runId, seeds: [5], truncation: 0.8 });
    const a = await rawPixels(pngBytes(alone.images[0]!.url));
    const b = await rawPixels(pngBytes(samples.images[2]!.url));
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThanOrEqual(1);
  });

  it("starts and ends a slerp or lerp path on the seeds' own samples", async () => {
    const seeds = [11, 12];
    const direct = await api('latent.samples', { runId, seeds });
    for (const mode of ['slerp', 'lerp'] as const) {
      const walk = await api('latent.path', { runId, seeds, mode, framesPerSegment: 6 });
      expect(walk.frames).toHaveLength(7);
      expect(walk.frames.filter((f) => f.keyframe).map((f) => f.index)).toEqual([0, 6]);
      for (const [frame, k] of [
        [0, 0],
        [6, 1],
      ] as const) {
        const got = await rawPixels(pngBytes(walk.frames[frame]!.url));
        const want = await rawPixels(pngBytes(direct.images[k]!.url));
        expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThanOrEqual(1);
      }
    }
  });

  it('exports the path as a GIF with the frames asked for, a WebP, a strip and a single sample', async () => {
    const gif = await api('latent.export', {
      runId,
      seeds: [1, 2, 3],
      framesPerSegment: 5,
      format: 'gif',
      frameMs: 60,
      scale: 2,
    });
    expect(gif).toMatchObject({ frames: 11, width: 64, height: 64, mimeType: 'image/gif' });
    expect(gif.path.startsWith(path.join(dataDir, 'exports', runId))).toBe(true);
    const meta = await sharp(gif.path, { animated: true }).metadata();
    expect(meta).toMatchObject({ format: 'gif', pages: 11, width: 64, pageHeight: 64 });
    expect(meta.delay).toEqual(Array(11).fill(60));
    // The UI shows it through the media route, which serves only what the explorer wrote.
    expect(await served(gif.url)).toMatchObject({ contentType: 'image/gif' });
    expect(await served(`/media/exports/${runId}/..%2Fstudio.db`)).toBeNull();
    expect(await served(`/media/exports/${runId}/notes.txt`)).toBeNull();
    // A link planted under an export's name leads nowhere: files are served by real path only.
    const planted = '20260101-000000-000-planted.gif';
    fs.symlinkSync(path.join(dataDir, 'studio.db'), path.join(dataDir, 'exports', runId, planted));
    expect(await served(`/media/exports/${runId}/${planted}`)).toBeNull();

    const webp = await api('latent.export', { runId, seeds: [1, 2], framesPerSegment: 3, format: 'webp' });
    expect((await sharp(webp.path, { animated: true }).metadata()).pages).toBe(4);
    const strip = await api('latent.export', { runId, seeds: [1, 2], framesPerSegment: 3, format: 'strip' });
    expect(await sharp(strip.path).metadata()).toMatchObject({ format: 'png', width: 4 * 32, height: 32 });
    const sample = await api('latent.exportSample', { runId, seed: 7, scale: 1 });
    expect(await sharp(sample.path).metadata()).toMatchObject({ format: 'png', width: 32, height: 32 });
  });

  it('refuses a path too long to send, and an unknown checkpoint, saying what to do', async () => {
    const long = await apiError('latent.path', { runId, seeds: [1, 2, 3, 4, 5], framesPerSegment: 100 });
    expect(long).toMatchObject({ code: 'invalid_input' });
    expect(long.message).toContain('fewer frames per segment');
    const step = await apiError('latent.samples', { runId, step: 3, seeds: [1] });
    expect(step).toMatchObject({ code: 'not_found' });
    expect(step.message).toContain('has no checkpoint at step 3; it has 6');
  });

  it('generates a set of N images and a manifest listing their N seeds, written last', async () => {
    const job = await api('latent.generate', { runId, count: 300, seedStart: 1000, truncation: 0.7 });
    expect(job.status).toBe('running');
    expect(job.folder.startsWith(path.join(dataDir, 'generated'))).toBe(true);
    const done = await studio.latent.whenDone(job.id);
    expect(done).toMatchObject({ status: 'finished', done: 300, error: null, backend: 'wasm' });
    const files = fs.readdirSync(job.folder).sort();
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(300);
    expect(files).toContain('manifest.json');
    expect(files).not.toContain('.gan-studio-incomplete');
    const manifest = JSON.parse(fs.readFileSync(path.join(job.folder, 'manifest.json'), 'utf8')) as {
      count: number;
      run: { id: string };
      checkpoint: { step: number };
      files: { file: string; seed: number; truncation: number; run: string; step: number }[];
    };
    expect(manifest.count).toBe(300);
    expect(manifest.files).toHaveLength(300);
    expect(new Set(manifest.files.map((f) => f.seed)).size).toBe(300);
    expect(manifest.files[0]).toEqual({
      file: 'seed-0000001000.png',
      seed: 1000,
      truncation: 0.7,
      run: runId,
      step: 6,
    });
    for (const f of manifest.files) expect(files).toContain(f.file);
    // A file of the set is the explorer's sample of its seed.
    const sample = await api('latent.samples', { runId, seeds: [1234], truncation: 0.7 });
    const fromSet = await rawPixels(fs.readFileSync(path.join(job.folder, 'seed-0000001234.png')));
    const shown = await rawPixels(pngBytes(sample.images[0]!.url));
    expect(Math.max(...fromSet.map((v, i) => Math.abs(v - shown[i]!)))).toBeLessThanOrEqual(1);
    const progress = events.filter((e) => e.name === 'latent.progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)?.payload).toMatchObject({ jobId: job.id, done: 300, total: 300, etaSeconds: 0 });
    // "Add as dataset": the folder is browsable like any other.
    const dataset = await api('datasets.add', { path: job.folder });
    await studio.datasets.waitForScan(dataset.id);
    // Its own manifest is no skipped file of it.
    expect(studio.datasets.get(dataset.id)).toMatchObject({
      status: 'ready',
      imageCount: 300,
      skippedCount: 0,
    });
  });

  it('a cancelled generation leaves no manifest and no half-written set', async () => {
    const job = await api('latent.generate', { runId, count: 100_000 });
    await new Promise<void>((resolve) => {
      const off = studio.events.subscribe((e) => {
        if (e.name === 'latent.progress' && e.payload.jobId === job.id && e.payload.done > 0) {
          off();
          resolve();
        }
      });
    });
    const cancelled = await api('latent.cancel', { jobId: job.id });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.done).toBeGreaterThan(0);
    expect(cancelled.done).toBeLessThan(100_000);
    expect(fs.existsSync(path.join(job.folder, 'manifest.json'))).toBe(false);
    expect(fs.existsSync(job.folder)).toBe(false);
    expect((await api('latent.jobs', {})).map((j) => j.status)).toEqual(['cancelled', 'finished']);
  });

  it('reports a set of a few hundred images on its way, not only at its end', async () => {
    const job = await api('latent.generate', { runId, count: 200 });
    await studio.latent.whenDone(job.id);
    const done = events.flatMap((e) =>
      e.name === 'latent.progress' && e.payload.jobId === job.id ? [e.payload.done] : [],
    );
    // Its first batch is reported as soon as it is written, whatever the throttle.
    expect(done.some((n) => n > 0 && n < 200)).toBe(true);
    expect(done.at(-1)).toBe(200);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  it('flags a sample that is a copy of a training image, beside that image', async () => {
    const seeds = [21, 22, 23];
    const samples = await api('latent.samples', { runId, seeds });
    const before = await api('latent.nearest', { runId, seeds });
    expect(before.trainingCount).toBe(8);
    expect(before.matches.map((m) => m.nearCopy)).toEqual([false, false, false]);
    // Put seed 22's sample among the training images, as a memorising generator would make it.
    await fsp.writeFile(path.join(images, 'copied.png'), pngBytes(samples.images[1]!.url));
    const dataset = studio.runs.get(runId)!.datasetId!;
    await api('datasets.rescan', { id: dataset });
    await studio.datasets.waitForScan(dataset);
    const after = await api('latent.nearest', { runId, seeds });
    expect(after.trainingCount).toBe(9);
    const copy = after.matches[1]!;
    expect(copy).toMatchObject({ seed: 22, nearCopy: true });
    expect(copy.distance).toBeLessThan(0.005);
    const shown = await rawPixels(pngBytes(copy.nearestUrl));
    const original = await rawPixels(pngBytes(samples.images[1]!.url));
    expect(Math.max(...shown.map((v, i) => Math.abs(v - original[i]!)))).toBeLessThanOrEqual(1);
    // The copy, not merely a similar image, is what it found (a 6-step generator's samples are
    // all alike, so the other seeds may be close to it too, but not as close).
    expect(after.matches[0]!.distance).toBeGreaterThan(copy.distance);
    expect(after.matches[2]!.distance).toBeGreaterThan(copy.distance);
  });

  it('exports the generator as a LayersModel that reproduces the samples', async () => {
    const exported = await api('latent.exportModel', { runId, format: 'tfjs' });
    expect(exported.files.map((f) => f.fileName).sort()).toEqual([
      'gan-studio.json',
      'group1-shard1of1.bin',
      'model.json',
    ]);
    for (const f of exported.files) expect(await served(f.url)).not.toBeNull();
    const { seedLatent } = await import('../../main/training/engine/latent.js');
    const rgb = await exportedModelImage(exported.folder, seedLatent(31, 16));
    const sample = await api('latent.samples', { runId, seeds: [31] });
    const shown = await rawPixels(pngBytes(sample.images[0]!.url));
    expect(Math.max(...rgb.map((v, i) => Math.abs(v - shown[i]!)))).toBeLessThanOrEqual(1);
  });

  it('deleting the run removes its exports and keeps its generated sets', async () => {
    const sample = await api('latent.exportSample', { runId, seed: 3, scale: 1 });
    const sets = fs.readdirSync(path.join(dataDir, 'generated'));
    expect(sets.length).toBeGreaterThan(0);
    expect(fs.existsSync(sample.path)).toBe(true);
    expect(await api('runs.delete', { id: runId })).toEqual({ deleted: true });
    expect(fs.existsSync(path.join(dataDir, 'exports', runId))).toBe(false);
    expect(await served(sample.url)).toBeNull();
    expect(fs.readdirSync(path.join(dataDir, 'generated'))).toEqual(sets);
  });
});
