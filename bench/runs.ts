/**
 * Big runs stay fast: builds runs of 1,000,000 metric rows each (9 metrics every 10 steps, as a
 * run of 1.1 M steps records them) in a real studio database, then times what the UI asks for
 * through the API router, results serialised as a transport would:
 *   - opening one run: runs.get + runs.metrics of its four charted metrics (goal < 300 ms)
 *   - comparing three: runs.compare + runs.series of four metrics (goal < 1 s)
 * Each is timed on a freshly opened studio (cold statements) and as the median of 7 repeats.
 *
 *   npx tsx bench/runs.ts [--rows 1000000] [--runs 3] [--data-dir DIR]
 *
 * With --data-dir the database is kept there, and a later run with the same folder times the
 * runs it finds instead of building them again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Studio } from '../main/studio.js';
import { defaultTrainConfig } from '../shared/config.js';
import { databaseFileName } from '../main/store/database.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const rowsPerRun = arg('rows', 1_000_000);
const runCount = Math.max(3, arg('runs', 3));
const names = [
  'dLoss',
  'gLoss',
  'dReal',
  'dFake',
  'dFakeAfter',
  'stepMs',
  'imagesPerSecond',
  'tensors',
  'rssMB',
];
const charted = ['dLoss', 'gLoss', 'dReal', 'dFake'];
const every = 10;
const stepsPerRun = Math.ceil(rowsPerRun / names.length);

const keptDir = process.argv.includes('--data-dir')
  ? process.argv[process.argv.indexOf('--data-dir') + 1]
  : undefined;
const root = keptDir
  ? path.resolve(keptDir)
  : fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-bench-runs-'));
const dataDir = keptDir ? root : path.join(root, 'data');
let studio = new Studio({ dataDir, shell: 'serve' });

// Build: metrics arrive as the manager writes them, in batched transactions (bigger batches
// here than a live run's, to keep the setup short).
const ids: string[] = studio.runs
  .list()
  .filter((r) => r.name.startsWith('bench run '))
  .sort((a, b) => a.name.localeCompare(b.name))
  .map((r) => r.id);
const built = performance.now();
for (let r = ids.length; r < runCount; r++) {
  const config = {
    ...defaultTrainConfig,
    steps: stepsPerRun * every,
    metricsEvery: every,
    lrG: 0.0002 * (r + 1),
  };
  const run = studio.runs.create({ name: `bench run ${r + 1}`, datasetId: null, config, status: 'finished' });
  const start = Date.now() - stepsPerRun * 200;
  studio.runs.addEvent(run.id, { kind: 'created', step: 0, at: start });
  studio.runs.addEvent(run.id, { kind: 'started', step: 0, at: start, trainSeconds: 0 });
  for (let from = 1; from <= stepsPerRun; from += 5000) {
    const batch = [];
    for (let i = from; i < Math.min(from + 5000, stepsPerRun + 1); i++) {
      const step = i * every;
      const t = step / (stepsPerRun * every);
      const values: Record<string, number> = {};
      for (const [k, name] of names.entries()) {
        values[name] = Math.exp(-3 * t) * (1 + k / 10) + 0.1 * Math.sin(step * 0.013 + k + r);
      }
      batch.push({ step, wallTime: start + i * 200, values });
    }
    studio.runs.insertMetrics(run.id, batch);
  }
  for (let s = 0; s <= stepsPerRun * every; s += 20_000)
    studio.runs.addSample(run.id, s, `samples/step-${s}.png`);
  studio.runs.update(run.id, { step: stepsPerRun * every, trainSeconds: stepsPerRun * 0.2 });
  studio.runs.addEvent(run.id, {
    kind: 'finished',
    step: stepsPerRun * every,
    at: start + stepsPerRun * 200,
  });
  ids.push(run.id);
  process.stdout.write(`built run ${r + 1}/${runCount}\n`);
}
const buildSeconds = (performance.now() - built) / 1000;
const rowCount = studio.conn.db
  .prepare('SELECT COUNT(*) FROM metrics WHERE run_id = ?')
  .pluck()
  .get(ids[0]) as number;
await studio.close();

async function timed(calls: [string, unknown][]): Promise<{ ms: number; bytes: number; points: number }> {
  const t = performance.now();
  let bytes = 0;
  let points = 0;
  for (const [method, input] of calls) {
    const envelope = await studio.router.call(method, input);
    if (!envelope.ok) throw new Error(`${method}: ${envelope.error.message}`);
    bytes += JSON.stringify(envelope).length;
    const result = envelope.result as {
      runs?: { metrics: Record<string, { step: number[] }> }[];
      metrics?: Record<string, { step: number[] }>;
    };
    const series = result.metrics
      ? [result.metrics]
      : (result.runs ?? []).map((r) => ('metrics' in r ? r.metrics : {}));
    for (const m of series) for (const s of Object.values(m)) points += s?.step?.length ?? 0;
  }
  return { ms: performance.now() - t, bytes, points };
}

async function measure(calls: [string, unknown][]) {
  // Cold: a studio just opened, as when the app starts or the CLI runs.
  studio = new Studio({ dataDir, shell: 'serve' });
  const cold = await timed(calls);
  const warm = [];
  for (let i = 0; i < 7; i++) warm.push((await timed(calls)).ms);
  await studio.close();
  warm.sort((a, b) => a - b);
  return { coldMs: cold.ms, medianMs: warm[3]!, maxMs: warm[6]!, bytes: cold.bytes, points: cold.points };
}

const open = await measure([
  ['runs.get', { id: ids[0] }],
  ['runs.metrics', { id: ids[0], names: charted, maxPoints: 2000 }],
]);
const openAll = await measure([['runs.metrics', { id: ids[0], maxPoints: 2000 }]]);
const compare = await measure([
  ['runs.compare', { ids: ids.slice(0, 3) }],
  ['runs.series', { ids: ids.slice(0, 3), names: charted, maxPoints: 2000 }],
]);
const dbBytes = fs.statSync(path.join(dataDir, databaseFileName)).size;
if (!keptDir) fs.rmSync(root, { recursive: true, force: true });

const result = {
  benchmark: 'runs',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown' },
  runs: runCount,
  metricRowsPerRun: rowCount,
  metricsPerStep: names.length,
  build: {
    seconds: buildSeconds,
    rowsPerSecond: (rowCount * runCount) / buildSeconds,
    databaseMB: dbBytes / 2 ** 20,
  },
  openOneRun: { ...open, goalMs: 300, metrics: charted },
  openOneRunAllMetrics: { ...openAll, metrics: names },
  compareThreeRuns: { ...compare, goalMs: 1000, metrics: charted },
};

const fmt = (m: { coldMs: number; medianMs: number; maxMs: number; points: number; bytes: number }) =>
  `${m.coldMs.toFixed(0)} cold, ${m.medianMs.toFixed(0)} median, ${m.maxMs.toFixed(0)} max ms  (${m.points} points, ${(m.bytes / 1024).toFixed(0)} KiB)`;
const rows: [string, string][] = [
  [
    'metric rows per run',
    `${rowCount} (${runCount} runs, ${result.build.databaseMB.toFixed(0)} MB database)`,
  ],
  [
    'build',
    `${buildSeconds.toFixed(1)} s (${(result.build.rowsPerSecond / 1000).toFixed(0)} k rows/s with block summaries)`,
  ],
  ['open one run (get + 4 metrics)', `${fmt(open)}  goal < 300`],
  ['one run, all 9 metrics', fmt(openAll)],
  ['compare three (compare + series)', `${fmt(compare)}  goal < 1000`],
];
const width0 = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) console.log(`${k.padEnd(width0)}  ${v}`);
fs.mkdirSync(path.join('bench', 'results'), { recursive: true });
fs.writeFileSync(path.join('bench', 'results', 'runs.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log('Wrote bench/results/runs.json');
const ok = open.coldMs < 300 && open.medianMs < 300 && compare.coldMs < 1000 && compare.medianMs < 1000;
if (!ok) {
  console.log('Goal missed.');
  process.exitCode = 1;
}
