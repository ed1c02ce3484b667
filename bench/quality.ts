/**
 * Quality per hour: trains each model on a real image folder for a fixed wall-clock time, on one
 * CPU thread each and side by side (one core each), then scores its generator at every budget
 * with the studio's own SWD and writes a table and a sheet of samples per cell.
 *
 *   npx tsx bench/quality.ts [--folder DIR] [--resolution 64] [--budgets 5,10,30]
 *     [--models fastgan,dcgan] [--samples 2048] [--data-dir DIR]
 *
 * The folder defaults to Twemoji (the @twemoji/svg package, 3,721 SVG emoji, CC-BY 4.0), which the
 * studio rasterises as it does any SVG folder: real, varied, crisp shapes, nothing synthetic.
 *
 * Each model trains as a user would start it, through the API: `fastgan` is what the Train form
 * proposes for this folder on this machine's CPU (shared/proposal.ts), `dcgan` the DCGAN
 * "Standard" preset a user had before (64 px, width 1, batch 64), `dcgan-narrow` DCGAN at the
 * proposal's width and batch. A checkpoint is written every budget step (its EMA generator is
 * what is scored), so one run per model gives every budget.
 *
 * The score is the run page's quality measure (quality.ts: SWD ×10³ of generated against training
 * images, per group of swdImageCount(resolution) images) averaged over `--samples` generated
 * images in such groups, each against its own group of training images: the number on the run
 * page's chart and in this table are on one scale, this one with less noise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Studio } from '../main/studio.js';
import { invoke } from '../main/api/router.js';
import { dataPaths } from '../main/common/paths.js';
import { readCacheFile } from '../main/datasets/cache-format.js';
import { decodeCheckpoint } from '../main/training/checkpoint-file.js';
import { Generator } from '../main/training/engine/generator.js';
import { tileImages } from '../main/training/engine/grid.js';
import { seedLatent } from '../main/training/engine/latent.js';
import { qualityScore } from '../main/training/engine/quality.js';
import { encodePng } from '../main/training/run-files.js';
import { selectBackend } from '../main/training/worker/backends.js';
import { presetConfig, type TrainConfigPatch } from '../shared/config.js';
import { proposeSettings } from '../shared/proposal.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const folder = path.resolve(arg('folder', 'node_modules/@twemoji/svg'));
const resolution = Number(arg('resolution', '64')) as 64;
const budgets = arg('budgets', '5,10,30').split(',').map(Number);
const modelNames = arg('models', 'fastgan,dcgan').split(',');
const sampleCount = Number(arg('samples', '2048'));
const minutes = Math.max(...budgets);
const outDir = path.resolve('bench/results/quality');
const keptDir = process.argv.includes('--data-dir') ? path.resolve(arg('data-dir', '')) : null;
const dataDir = keptDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-bench-quality-'));

const studio = new Studio({
  dataDir,
  shell: 'serve',
  maxConcurrentRuns: modelNames.length,
  followOutsideRuns: false,
});
const api = <M extends Parameters<typeof invoke>[1]>(method: M, input: Parameters<typeof invoke<M>>[2]) =>
  invoke(studio.router, method, input);

console.log(`Scanning ${folder} and caching it at ${resolution} px…`);
const added = await api('datasets.add', { path: folder, cache: { resolution, crop: 'center', flip: false } });
await studio.datasets.waitForScan(added.id);
const dataset = await api('datasets.get', { id: added.id });
if (dataset.status !== 'ready')
  throw new Error(`The folder could not be used: ${dataset.error ?? dataset.status}`);
console.log(`${dataset.imageCount} images (${dataset.skippedCount} files skipped).`);

const proposal = proposeSettings('standard', { datasetSize: dataset.imageCount, gpu: false });
const configs: Record<string, TrainConfigPatch> = {
  fastgan: { ...proposal.config, resolution },
  dcgan: { ...presetConfig('standard'), model: 'dcgan', resolution },
  'dcgan-narrow': {
    model: 'dcgan',
    resolution,
    width: proposal.config.width,
    batchSize: proposal.config.batchSize,
    loss: 'bce',
  },
};
const common: TrainConfigPatch = {
  steps: 10_000_000,
  backend: 'wasm',
  threads: 1,
  checkpointMinutes: Math.min(...budgets.map((b, i) => b - (budgets[i - 1] ?? 0))),
  keepCheckpoints: 100,
  seed: 1,
};

const runs: { name: string; id: string }[] = [];
for (const name of modelNames) {
  const config = configs[name];
  if (!config) throw new Error(`Unknown model "${name}": choose from ${Object.keys(configs).join(', ')}.`);
  const run = await api('training.start', { datasetId: added.id, name, config: { ...config, ...common } });
  runs.push({ name, id: run.id });
}
console.log(`Training ${runs.map((r) => r.name).join(' and ')} for ${minutes} min each, side by side…`);
const started = Date.now();
await new Promise((resolve) => setTimeout(resolve, minutes * 60_000 + 20_000));
await Promise.all(runs.map((r) => api('training.stop', { id: r.id }).catch(() => undefined)));
console.log(`Stopped after ${((Date.now() - started) / 60_000).toFixed(1)} min. Scoring…`);

// Scoring runs here, after training, on both cores.
await selectBackend('wasm', { threads: 2 });
const built = await studio.datasets.buildCache({ id: added.id, resolution, crop: 'center', flip: false });
const cache = await readCacheFile(built.file);
const training = { pixels: cache.pixels, count: cache.count, height: cache.height, width: cache.width };
fs.mkdirSync(outDir, { recursive: true });

interface Cell {
  model: string;
  budgetMinutes: number;
  trainedMinutes: number;
  step: number;
  swd: number;
  imagesPerSecond: number;
  sheet: string;
}
const cells: Cell[] = [];
for (const run of runs) {
  const detail = await api('runs.get', { id: run.id });
  const checkpoints = studio.runs.checkpoints(run.id);
  const begin = detail.history.find((e) => e.kind === 'started')?.at ?? started;
  for (const budget of budgets) {
    // The last checkpoint written within the budget (each is written at a budget step).
    const within = checkpoints.filter((c) => c.createdAt - begin <= budget * 60_000 + 30_000);
    const checkpoint = within.at(-1);
    if (!checkpoint) continue;
    const bytes = fs.readFileSync(path.join(dataPaths.run(dataDir, run.id), checkpoint.file));
    const generator = Generator.fromCheckpoint(decodeCheckpoint(new Uint8Array(bytes)), 'ema');
    const latents = new Float32Array(sampleCount * generator.latentSize);
    for (let i = 0; i < sampleCount; i++)
      latents.set(seedLatent(i, generator.latentSize), i * generator.latentSize);
    const images = await generator.generate(latents, sampleCount);
    generator.dispose();
    const swd = qualityScore({ pixels: images, count: sampleCount, size: resolution }, training, 1);
    const sheetFile = `${run.name}-${budget}min.png`;
    await fs.promises.writeFile(
      path.join(outDir, sheetFile),
      await encodePng(
        tileImages(images.subarray(0, 64 * resolution * resolution * 3), 64, resolution, resolution),
      ),
    );
    const trainedMinutes = (checkpoint.createdAt - begin) / 60_000;
    const batch = detail.config.batchSize;
    cells.push({
      model: run.name,
      budgetMinutes: budget,
      trainedMinutes,
      step: checkpoint.step,
      swd,
      imagesPerSecond: (checkpoint.step * batch) / (trainedMinutes * 60),
      sheet: `bench/results/quality/${sheetFile}`,
    });
  }
}

const result = {
  date: new Date().toISOString().slice(0, 10),
  folder: path.relative(process.cwd(), folder),
  images: dataset.imageCount,
  resolution,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  threadsPerRun: 1,
  samples: sampleCount,
  configs: Object.fromEntries(runs.map((r) => [r.name, configs[r.name]])),
  cells,
  tensors: tf.memory().numTensors,
};
fs.writeFileSync('bench/results/quality.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(`\n${'model'.padEnd(14)} ${budgets.map((b) => `${b} min`.padStart(16)).join('')}`);
for (const run of runs) {
  const row = budgets.map((b) => {
    const c = cells.find((x) => x.model === run.name && x.budgetMinutes === b);
    return (c ? `${c.swd.toFixed(1)} (${c.imagesPerSecond.toFixed(0)}/s)` : '—').padStart(16);
  });
  console.log(`${run.name.padEnd(14)} ${row.join('')}`);
}
console.log('SWD ×10³ (lower is closer), images/s in brackets. Sheets in bench/results/quality/.');
await studio.close();
if (!keptDir) fs.rmSync(dataDir, { recursive: true, force: true });
