#!/usr/bin/env node
// `npm run bench [-- NAME… [--flag value…]]`: runs the benchmarks (all, or those named),
// each printing a table and writing JSON under bench/results/.
import { spawnSync } from 'node:child_process';

const all = {
  datasets: 'bench/datasets.ts',
  grid: 'bench/grid.ts',
  train: 'bench/train.ts',
  'training-host': 'bench/training-host.ts',
  runs: 'bench/runs.ts',
  webgpu: 'bench/webgpu.ts',
  quality: 'bench/quality.ts',
};
// Benchmark names come first; everything from the first --flag on is passed to each benchmark.
const args = process.argv.slice(2);
const firstFlag = args.findIndex((a) => a.startsWith('--'));
const names = firstFlag < 0 ? args : args.slice(0, firstFlag);
const extra = firstFlag < 0 ? [] : args.slice(firstFlag);
const chosen = names.length > 0 ? names : Object.keys(all);
let failed = false;
for (const name of chosen) {
  const file = all[name];
  if (!file) {
    console.error(`Unknown benchmark "${name}". Choose from: ${Object.keys(all).join(', ')}.`);
    process.exit(2);
  }
  console.log(`\n=== bench ${name}`);
  const result = spawnSync('npx', ['tsx', file, ...extra], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
