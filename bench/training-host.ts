/**
 * The desktop-side costs of training: main-thread event-loop lag while a run trains in its
 * worker (goal p99 < 20 ms), and the worker's tensor count and RSS after 10 and after N steps
 * (flat when nothing leaks).
 *
 *   npx tsx bench/training-host.ts [--steps 500] [--width 0.5] [--batch 32]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { resolveTrainConfig } from '../shared/config.js';
import { Studio } from '../main/studio.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const steps = arg('steps', 500);
const width = arg('width', 0.5);
const batchSize = arg('batch', 32);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-bench-host-'));
const images = path.join(root, 'images');
fs.mkdirSync(images);
for (let i = 0; i < 128; i++) {
  const background = { r: (i * 29) % 256, g: (i * 71) % 256, b: (i * 113) % 256 };
  await sharp({ create: { width: 40, height: 40, channels: 3, background } })
    .png()
    .toFile(path.join(images, `${i}.png`));
}

const studio = new Studio({ dataDir: path.join(root, 'data'), shell: 'serve' });
let events = 0;
studio.events.subscribe(() => events++);
const dataset = await studio.datasets.add({ path: images });
await studio.datasets.waitForScan(dataset.id);

const lag = monitorEventLoopDelay({ resolution: 5 });
const run = await studio.training.start({
  datasetId: dataset.id,
  config: resolveTrainConfig(undefined, {
    resolution: 32,
    steps,
    width,
    batchSize,
    metricsEvery: 10,
    sampleEvery: 50,
    backend: 'wasm',
  }),
});
// Measure from the first step on: starting the worker and building the cache are not training.
await new Promise<void>((resolve) => {
  const off = studio.events.subscribe((e) => {
    if (e.name === 'run.progress' && e.payload.runId === run.id) {
      off();
      resolve();
    }
  });
});
lag.enable();
const started = Date.now();
await studio.training.whenIdle(run.id);
lag.disable();
const seconds = (Date.now() - started) / 1000;

const series = studio.runs.metrics(run.id, ['tensors', 'rssMB', 'imagesPerSecond'], 100_000);
const at = (name: string, step: number) => series[name]?.find((p) => p.step === step)?.value ?? null;
const final = studio.runs.get(run.id)!;
const result = {
  benchmark: 'training-host',
  date: new Date().toISOString(),
  config: { resolution: 32, steps, width, batchSize, backend: final.backend },
  status: final.status,
  trainSeconds: seconds,
  eventsPushed: events,
  eventsPerSecond: events / seconds,
  eventLoopLagMs: {
    p50: lag.percentile(50) / 1e6,
    p99: lag.percentile(99) / 1e6,
    max: lag.max / 1e6,
  },
  tensors: { step10: at('tensors', 10), [`step${steps}`]: at('tensors', steps) },
  rssMB: { step10: at('rssMB', 10), [`step${steps}`]: at('rssMB', steps) },
};
await studio.close();
fs.rmSync(root, { recursive: true, force: true });

const rows: [string, string][] = [
  ['run status', result.status],
  ['backend', String(result.config.backend)],
  ['steps (batch, width)', `${steps} (${batchSize}, ${width})`],
  [
    'main-thread lag p50 / p99 / max (ms)',
    `${result.eventLoopLagMs.p50.toFixed(1)} / ${result.eventLoopLagMs.p99.toFixed(1)} / ${result.eventLoopLagMs.max.toFixed(1)}  (goal p99 < 20)`,
  ],
  ['UI events per second', result.eventsPerSecond.toFixed(1)],
  [`worker tensors at step 10 / ${steps}`, `${result.tensors.step10} / ${result.tensors[`step${steps}`]}`],
  [
    `worker RSS MB at step 10 / ${steps}`,
    `${result.rssMB.step10?.toFixed(0)} / ${result.rssMB[`step${steps}`]?.toFixed(0)}`,
  ],
];
const width0 = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) console.log(`${k.padEnd(width0)}  ${v}`);
fs.mkdirSync(path.join(import.meta.dirname ?? 'bench', 'results'), { recursive: true });
fs.writeFileSync(path.join('bench', 'results', 'training-host.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log('Wrote bench/results/training-host.json');
