#!/usr/bin/env node
// Runs every check and test suite in turn and ends with one line totalling them all:
// "N passed, N failed, N skipped". Checks (build, type-check, lint) count as one test each.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
fs.mkdirSync('test-results', { recursive: true });

function run(label, command, args, env = {}) {
  process.stdout.write(`\n=== ${label}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

function check(label, command, args) {
  if (run(label, command, args)) totals.passed += 1;
  else {
    totals.failed += 1;
    failures.push(label);
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const npx = 'npx';
check('build', 'npm', ['run', 'build']);
check('type-check (tsc)', npx, ['tsc', '-p', 'tsconfig.json', '--noEmit']);
check('type-check (svelte-check)', npx, [
  'svelte-check',
  '--tsconfig',
  './renderer/tsconfig.json',
  '--fail-on-warnings',
]);
check('lint (eslint)', npx, ['eslint', '.']);
check('format (prettier)', npx, ['prettier', '--check', '.']);

// Unit and integration tests (Vitest).
fs.rmSync('test-results/unit.json', { force: true });
const unitOk = run('unit tests (vitest)', npx, [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile=test-results/unit.json',
]);
const unit = readJson('test-results/unit.json');
if (unit) {
  totals.passed += unit.numPassedTests;
  totals.failed += unit.numFailedTests;
  totals.skipped += unit.numPendingTests + (unit.numTodoTests ?? 0);
  if (unit.numFailedTests > 0 || !unitOk) failures.push('unit tests');
  if (!unitOk && unit.numFailedTests === 0) totals.failed += 1;
} else {
  totals.failed += 1;
  failures.push('unit tests (no report)');
}

// Browser and desktop tests (Playwright).
fs.rmSync('test-results/e2e.json', { force: true });
const e2eOk = run('e2e tests (playwright)', npx, ['playwright', 'test']);
const e2e = readJson('test-results/e2e.json');
if (e2e?.stats) {
  totals.passed += e2e.stats.expected + (e2e.stats.flaky ?? 0);
  totals.failed += e2e.stats.unexpected;
  totals.skipped += e2e.stats.skipped;
  if (e2e.stats.unexpected > 0 || !e2eOk) failures.push('e2e tests');
  if (!e2eOk && e2e.stats.unexpected === 0) totals.failed += 1;
} else {
  totals.failed += 1;
  failures.push('e2e tests (no report)');
}

if (failures.length > 0) process.stdout.write(`\nFailed: ${failures.join(', ')}\n`);
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(totals.failed > 0 ? 1 : 0);
