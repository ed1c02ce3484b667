import { describe, expect, it } from 'vitest';
import { defaultTrainConfig, presetConfig } from '../../shared/config.js';
import type { RunEvent, RunSummary } from '../../shared/types.js';
import { defaultRunName } from '../../main/runs/names.js';
import { queryRuns } from '../../main/runs/query.js';
import { trainingSeconds } from '../../main/runs/sessions.js';
import { configRows } from '../../main/runs/compare.js';
import { toCsv } from '../../main/runs/export.js';

function summary(patch: Partial<RunSummary>): RunSummary {
  return {
    id: 'run-x',
    name: 'x',
    datasetId: 'ds-1',
    datasetName: 'emoji',
    status: 'finished',
    backend: 'wasm',
    threads: 1,
    step: 100,
    totalSteps: 100,
    resolution: 32,
    tags: [],
    notes: '',
    createdAt: 1,
    updatedAt: 1,
    trainSeconds: 10,
    error: null,
    loss: 'bce',
    lrG: 0.0002,
    lrD: 0.0002,
    batchSize: 64,
    lastDLoss: 1,
    lastGLoss: 1,
    ...patch,
  };
}

describe('default run names', () => {
  it('name the dataset, the resolution, what differs from the preset and the run number', () => {
    const base = presetConfig('quick');
    expect(defaultRunName('emoji', base, base, 0)).toBe('emoji · 32 px · #1');
    expect(defaultRunName('emoji', { ...base, loss: 'hinge', lrG: 0.0001, lrD: 0.0001 }, base, 2)).toBe(
      'emoji · 32 px · hinge, lr 0.0001 · #3',
    );
    expect(defaultRunName('cats', { ...base, resolution: 64, lrD: 0.0004 }, base, 0)).toBe(
      'cats · 64 px · lrD 0.0004 · #1',
    );
  });
});

describe('queryRuns', () => {
  const runs = [
    summary({ id: 'a', name: 'Alpha', status: 'finished', lastDLoss: 0.9, tags: ['Cats'], createdAt: 3 }),
    summary({ id: 'b', name: 'beta', status: 'paused', lastDLoss: null, notes: 'lower lr', createdAt: 2 }),
    summary({ id: 'c', name: 'gamma', status: 'finished', lastDLoss: 0.4, datasetId: 'ds-2', createdAt: 1 }),
  ];
  const q = { sort: 'created', order: 'desc' } as const;

  it('filters by status, dataset and tag, and searches names and notes', () => {
    expect(queryRuns(runs, { ...q, status: 'finished' }).map((r) => r.id)).toEqual(['a', 'c']);
    expect(queryRuns(runs, { ...q, datasetId: 'ds-2' }).map((r) => r.id)).toEqual(['c']);
    expect(queryRuns(runs, { ...q, tag: 'cats' }).map((r) => r.id)).toEqual(['a']);
    expect(queryRuns(runs, { ...q, search: 'LR lower' }).map((r) => r.id)).toEqual(['b']);
  });

  it('sorts by any column either way, with missing values last', () => {
    expect(queryRuns(runs, { sort: 'dLoss', order: 'asc' }).map((r) => r.id)).toEqual(['c', 'a', 'b']);
    expect(queryRuns(runs, { sort: 'dLoss', order: 'desc' }).map((r) => r.id)).toEqual(['a', 'c', 'b']);
    expect(queryRuns(runs, { sort: 'name', order: 'asc' }).map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('trainingSeconds', () => {
  it('leaves out the time between sessions', () => {
    const history: RunEvent[] = [
      { kind: 'created', at: 0, step: 0 },
      { kind: 'started', at: 1000, step: 0, trainSeconds: 0 },
      { kind: 'paused', at: 11_000, step: 50 },
      { kind: 'started', at: 500_000, step: 50, trainSeconds: 10 },
    ];
    expect(trainingSeconds(history, [2000, 11_000, 502_000])).toEqual([1, 10, 12]);
    // No sessions recorded (a run from before histories): time from its first point.
    expect(trainingSeconds([], [5000, 7000])).toEqual([0, 2]);
  });
});

describe('configRows', () => {
  it('marks exactly the fields whose values differ', () => {
    const rows = configRows([
      defaultTrainConfig,
      { ...defaultTrainConfig, lrG: 0.001, augmentPolicy: ['color'] },
      { ...defaultTrainConfig, augmentPolicy: ['color'] },
    ]);
    expect(rows.filter((r) => r.differs).map((r) => r.field)).toEqual(['lrG', 'augmentPolicy']);
    expect(rows.find((r) => r.field === 'lrG')).toMatchObject({
      label: 'Learning rate G',
      values: [0.0002, 0.001, 0.0002],
    });
  });
});

describe('toCsv', () => {
  it('writes a line per run and step with a column per metric, quoting what needs it', () => {
    const csv = toCsv([
      {
        run: summary({ id: 'r1', name: 'a, "quoted" run' }),
        metrics: {
          dLoss: { step: [10, 20], seconds: [1, 2], wall: [0, 1000], value: [0.5, 0.25] },
          gLoss: { step: [20], seconds: [2], wall: [1000], value: [3] },
        },
      },
    ]);
    expect(csv.split('\n')).toEqual([
      'run_id,run_name,step,seconds,wall_time,dLoss,gLoss',
      'r1,"a, ""quoted"" run",10,1.000,1970-01-01T00:00:00.000Z,0.5,',
      'r1,"a, ""quoted"" run",20,2.000,1970-01-01T00:00:01.000Z,0.25,3',
      '',
    ]);
  });
});
