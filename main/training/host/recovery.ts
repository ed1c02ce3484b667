import fs from 'node:fs';
import path from 'node:path';
import { trainConfigSchema } from '../../../shared/config.js';
import type { RecoveredRun, RecoveryReport, RunEvent, RunStatus } from '../../../shared/types.js';
import { dataPaths, validId } from '../../common/paths.js';
import type { RunStore } from '../../store/runs.js';
import { checkpointDamage } from '../checkpoint-file.js';
import { checkpointStep } from '../run-files.js';
import { readMetricsLog, readRunDescription, type RunDescription } from './run-description.js';

/**
 * A store that lost runs (studio.db deleted, emptied, damaged and restored from an older
 * backup) rebuilt from the run folders: each run's row, history and config from its run.json,
 * its checkpoints that verify, its sample grids and its chart points from metrics.ndjson. What
 * cannot be rebuilt is said, run by run, in plain words; nothing is deleted.
 */

/** Run folders the store does not know: what a lost or older store leaves out. */
export function unknownRunFolders(dataDir: string, runs: RunStore): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dataPaths.runsRoot(dataDir));
  } catch {
    return [];
  }
  return names.filter((name) => {
    if (!validId.test(name) || runs.get(name)) return false;
    const folder = path.join(dataPaths.runsRoot(dataDir), name);
    return ['run.json', 'config.json', 'checkpoints'].some((f) => fs.existsSync(path.join(folder, f)));
  });
}

export interface RecoveryDeps {
  runs: RunStore;
  dataDir: string;
  /** The dataset for a run's folder of images: found in the store, or added again; null if gone. */
  datasetFor(folder: string, name: string | null): Promise<string | null>;
}

const sampleName = /^step-(\d{7,})\.png$/;

function filesIn(folder: string): string[] {
  try {
    return fs.readdirSync(folder);
  } catch {
    return [];
  }
}

/** A run folder from before run.json was written: its config is all it says. */
function describedByConfig(folder: string, id: string): RunDescription | null {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    return {
      format: 'gan-studio-run',
      version: 1,
      id,
      name: id,
      tags: [],
      notes: '',
      createdAt: fs.statSync(folder).mtimeMs,
      status: 'interrupted',
      step: 0,
      trainSeconds: 0,
      backend: null,
      config: trainConfigSchema.parse(raw),
      dataset: null,
      history: [],
    };
  } catch {
    return null;
  }
}

async function recoverOne(
  deps: RecoveryDeps,
  id: string,
): Promise<RecoveredRun | { id: string; reason: string }> {
  const folder = dataPaths.run(deps.dataDir, id);
  const lost: string[] = [];
  const described = readRunDescription(folder);
  const description = described ?? describedByConfig(folder, id);
  if (!description) return { id, reason: 'its folder has neither run.json nor a readable config.json' };
  if (!described)
    lost.push('its name, history and dataset (the folder predates run.json): it is named by its id');

  // Checkpoints that verify, by step; damaged ones are renamed aside and said.
  const checkpointsDir = dataPaths.runCheckpoints(deps.dataDir, id);
  const good: { step: number; file: string }[] = [];
  for (const name of filesIn(checkpointsDir).sort()) {
    const step = checkpointStep(name);
    if (step === null) continue;
    const file = path.join(checkpointsDir, name);
    const damage = checkpointDamage(new Uint8Array(fs.readFileSync(file)));
    if (damage === null) good.push({ step, file: `checkpoints/${name}` });
    else {
      fs.renameSync(file, `${file}.damaged`);
      lost.push(`the checkpoint at step ${step} (${damage}; kept as checkpoints/${name}.damaged)`);
    }
  }
  const step = good.at(-1)?.step ?? 0;
  if (description.step > step) {
    lost.push(
      `steps ${step + 1}–${description.step}, trained after its last good checkpoint: they are trained again on Continue`,
    );
  }

  let datasetId: string | null = null;
  const dataset = description.dataset;
  if (dataset?.path) {
    datasetId = await deps.datasetFor(dataset.path, dataset.name);
    if (datasetId === null)
      lost.push(`its dataset, whose folder ${dataset.path} is gone: add it again to train the run further`);
  } else if (described && description.dataset === null) {
    lost.push('its dataset (removed before the store was lost)');
  }

  const running: RunStatus[] = ['running', 'queued'];
  const status: RunStatus =
    running.includes(description.status) || description.step > step ? 'interrupted' : description.status;
  const note: RunEvent = {
    kind: 'interrupted',
    at: Date.now(),
    step,
    error: 'Rebuilt from its folder after the store (studio.db) was lost or damaged.',
  };
  deps.runs.restore({
    id,
    name: description.name,
    datasetId,
    status,
    config: description.config,
    step,
    trainSeconds: description.trainSeconds,
    tags: description.tags,
    notes: description.notes,
    backend: description.backend,
    createdAt: description.createdAt,
    history: [...description.history.filter((e) => e.step <= step), note],
  });
  for (const c of good) deps.runs.addCheckpoint(id, c.step, c.file);

  const samples = filesIn(dataPaths.runSamples(deps.dataDir, id))
    .map((name) => ({ name, step: Number(sampleName.exec(name)?.[1] ?? NaN) }))
    .filter((s) => Number.isInteger(s.step) && s.step <= step)
    .sort((a, b) => a.step - b.step);
  for (const s of samples) deps.runs.addSample(id, s.step, `samples/${s.name}`);

  const metrics = readMetricsLog(folder, step);
  if (metrics === null) lost.push('its charts (the folder has no metrics.ndjson)');
  else if (metrics.length > 0) deps.runs.insertMetrics(id, metrics);

  return {
    id,
    name: description.name,
    status,
    step,
    checkpoints: good.length,
    samples: samples.length,
    chartPoints: metrics?.length ?? 0,
    lost,
  };
}

/**
 * Runs the store knows but whose folder says more happened (a later step, a longer history):
 * what a store restored from an older backup has of runs trained since.
 */
function behindTheirFolders(dataDir: string, runs: RunStore): string[] {
  return runs
    .list()
    .filter((run) => {
      const description = readRunDescription(dataPaths.run(dataDir, run.id));
      return (
        description !== null &&
        (description.step > run.step || description.history.length > runs.history(run.id).length)
      );
    })
    .map((run) => run.id);
}

/**
 * Rebuilds every run folder the store does not know, and with `behindToo` (after a backup was
 * restored) those the store has an older state of, one by one; a folder that fails is reported.
 */
export async function recoverRuns(deps: RecoveryDeps, behindToo = false): Promise<RecoveryReport> {
  const report: RecoveryReport = { runs: [], skipped: [] };
  const behind = behindToo ? behindTheirFolders(deps.dataDir, deps.runs) : [];
  for (const id of behind) deps.runs.delete(id);
  for (const id of unknownRunFolders(deps.dataDir, deps.runs)) {
    try {
      const result = await recoverOne(deps, id);
      if ('reason' in result) report.skipped.push(result);
      else report.runs.push(result);
    } catch (error) {
      report.skipped.push({ id, reason: (error as Error).message.split('\n')[0] ?? 'unknown error' });
    }
  }
  return report;
}
