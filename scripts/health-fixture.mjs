// Turns a run exported with `gan-studio runs export RUN --format json` into a health-warning
// fixture (test/training/engine/fixtures/): the numbers HealthMonitor sees, rounded, and what
// the run was. Record runs with --metrics-every 1 so the fixture holds every step, as the
// worker feeds the monitor.
//
//   node scripts/health-fixture.mjs EXPORT.json OUT.json "what a person saw in the samples"
import { readFileSync, writeFileSync } from 'node:fs';

const [exportFile, outFile, seen] = process.argv.slice(2);
if (!exportFile || !outFile || !seen) {
  process.stderr.write(
    'usage: node scripts/health-fixture.mjs EXPORT.json OUT.json "what the samples showed"\n',
  );
  process.exit(2);
}
const run = JSON.parse(readFileSync(exportFile, 'utf8')).runs[0];
const round = (x) => Number(x.toPrecision(4));
const byStep = (name) => {
  const m = run.metrics[name];
  if (!m) throw new Error(`The export has no ${name} metric.`);
  return new Map(m.step.map((s, i) => [s, m.value[i]]));
};
const [dLoss, gLoss, dFakeAfter, diversity] = ['dLoss', 'gLoss', 'dFakeAfter', 'diversity'].map(byStep);
const steps = [...dLoss.keys()]
  .filter((s) => gLoss.has(s) && dFakeAfter.has(s))
  .sort((a, b) => a - b)
  .map((s) => [s, round(dLoss.get(s)), round(gLoss.get(s)), round(dFakeAfter.get(s))]);
const { model, resolution, loss, batchSize, width, diffAugment, lrG, lrD, seed } = run.config;
const fixture = {
  seen,
  config: { model, resolution, loss, batchSize, width, diffAugment, lrG, lrD, seed },
  datasetSize: run.dataset?.imageCount ?? null,
  steps,
  diversity: [...diversity.entries()].sort((a, b) => a[0] - b[0]).map(([s, v]) => [s, round(v)]),
};
writeFileSync(outFile, `${JSON.stringify(fixture)}\n`);
process.stdout.write(`${outFile}: ${steps.length} steps, ${fixture.diversity.length} grids\n`);
