#!/usr/bin/env node
// `npm run bench [-- NAME…]`: runs the benchmarks (all, or those named: datasets, train, grid),
// each printing a table and writing JSON under bench/results/.
import { spawnSync } from 'node:child_process';

const all = { datasets: 'bench/datasets.ts', train: 'bench/train.ts', grid: 'bench/grid.ts' };
const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('--'));
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
