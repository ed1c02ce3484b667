import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import type { RunDetail, RunSummary } from '../../shared/types.js';
import { writePngs } from '../helpers/images.js';
import { tempDir } from '../helpers/temp.js';
import { configFlags, tinyModel } from '../helpers/train-config.js';

afterEach(() => {
  process.exitCode = undefined;
});

const tiny = [
  ...configFlags({ ...tinyModel, resolution: 32, steps: 6, metricsEvery: 2, sampleEvery: 3, threads: 1 }),
  '--json',
];

describe('gan-studio runs', () => {
  it('shows, compares, exports, renames, tags, continues and deletes runs through the API router', async () => {
    const dataDir = tempDir();
    const images = await writePngs(tempDir(), 6, (i) => ({ r: i * 40, g: 100, b: 50 }));
    const added = JSON.parse((await cli('datasets', 'add', images, '--json', '--data-dir', dataDir)).out) as {
      id: string;
    };
    const first = await cli('train', '--dataset', added.id, ...tiny, '--data-dir', dataDir);
    expect(first.code).toBe(0);
    const a = (JSON.parse(first.out) as { runId: string }).runId;
    const second = await cli(
      'train',
      '--dataset',
      added.id,
      ...tiny,
      '--lr-g',
      '0.0004',
      '--data-dir',
      dataDir,
    );
    const b = (JSON.parse(second.out) as { runId: string }).runId;

    const list = JSON.parse(
      (await cli('runs', 'list', '--sort', 'name', '--asc', '--json', '--data-dir', dataDir)).out,
    ) as RunSummary[];
    expect(list.map((r) => r.id)).toEqual([a, b]);
    expect(list[1]).toMatchObject({ status: 'finished', lrG: 0.0004, lrD: 0.0002, batchSize: 4 });
    expect(list[1]!.name).toContain('lrG 0.0004');

    const shown = await cli('runs', 'show', a, '--data-dir', dataDir);
    expect(shown.out).toContain('Learning rate G');
    expect(shown.out).toMatch(/dataset\s+\S+, 6 images/);
    expect(shown.out).toMatch(/finished/);
    const detail = JSON.parse(
      (await cli('runs', 'show', a, '--json', '--data-dir', dataDir)).out,
    ) as RunDetail;
    // The test folder is tiny: the run warns about that as it starts.
    expect(detail.history.map((e) => e.kind)).toEqual(['created', 'started', 'warning', 'finished']);
    expect(detail.history[2]?.warning?.code).toBe('small-dataset');

    const compared = JSON.parse(
      (await cli('runs', 'compare', a, b, '--json', '--data-dir', dataDir)).out,
    ) as {
      differences: { field: string; values: unknown[] }[];
      runs: { stats: { name: string }[] }[];
    };
    expect(compared.differences).toEqual([
      expect.objectContaining({ field: 'lrG', values: [0.0002, 0.0004] }),
    ]);
    expect(compared.runs[0]!.stats.map((m) => m.name)).toContain('dLoss');
    const table = (await cli('runs', 'compare', a, b, '--data-dir', dataDir)).out;
    expect(table).toMatch(/Config differences \(1 of \d+ fields\)/);
    expect(table).toMatch(/Learning rate G\s+0\.0002\s+0\.0004/);

    const csvFile = path.join(tempDir(), 'a.csv');
    expect(
      (await cli('runs', 'export', a, '--format', 'csv', '--out', csvFile, '--data-dir', dataDir)).code,
    ).toBe(0);
    const csv = fs.readFileSync(csvFile, 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^run_id,run_name,step,seconds,wall_time,.*dLoss/);
    // The default name holds commas, so it is quoted; the step follows it.
    // Loss points every 2 steps; sample grids (each with its diversity) at 0, 3 and 6.
    expect(csv.slice(1).map((line) => /",(\d+),[\d.]+,\d{4}-/.exec(line)?.[1])).toEqual([
      '0',
      '2',
      '3',
      '4',
      '6',
    ]);
    const json = JSON.parse(
      (await cli('runs', 'export', a, '--format', 'json', '--data-dir', dataDir)).out,
    ) as {
      runs: { config: { steps: number }; metrics: Record<string, { step: number[] }> }[];
    };
    expect(json.runs[0]!.metrics['gLoss']!.step).toEqual([2, 4, 6]);

    // Renamed, a run is found by its new name too.
    expect((await cli('runs', 'rename', a, 'baseline', '--data-dir', dataDir)).code).toBe(0);
    expect((await cli('runs', 'tag', 'baseline', 'keep', 'small', '--data-dir', dataDir)).out).toContain(
      'keep, small',
    );
    expect((await cli('runs', 'tag', 'baseline', 'small', '--remove', '--data-dir', dataDir)).out).toContain(
      'baseline: keep',
    );
    // The router's validation applies: a tag longer than 40 characters is refused.
    const badTag = await cli('runs', 'tag', a, 'x'.repeat(41), '--data-dir', dataDir);
    expect(badTag.code).toBe(1);
    expect(badTag.err).toMatch(/Invalid "tags\.1"/);

    // Continue honours every flag it accepts and refuses the others.
    const refused = await cli(
      'train',
      '--resume',
      a,
      '--steps',
      '10',
      '--batch-size',
      '8',
      '--data-dir',
      dataDir,
    );
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--batch-size cannot change when a run continues');
    const continued = await cli(
      'train',
      '--resume',
      'baseline',
      '--steps',
      '10',
      '--lr',
      '0.0001',
      '--json',
      '--data-dir',
      dataDir,
    );
    expect(continued.code).toBe(0);
    expect(JSON.parse(continued.out)).toMatchObject({ runId: a, status: 'finished', step: 10 });
    const after = JSON.parse(
      (await cli('runs', 'show', a, '--json', '--data-dir', dataDir)).out,
    ) as RunDetail;
    expect(after.config).toMatchObject({ steps: 10, lrG: 0.0001, lrD: 0.0001 });
    expect(after.history.find((e) => e.kind === 'continued')).toMatchObject({ step: 6 });
    const again = await cli('train', '--resume', a, '--data-dir', dataDir);
    expect(again.code).toBe(1);
    expect(again.err).toContain('has finished all 10 steps. Give it more steps');

    expect((await cli('runs', 'delete', b, '--data-dir', dataDir)).out).toContain('Deleted run');
    expect(JSON.parse((await cli('runs', 'list', '--json', '--data-dir', dataDir)).out)).toHaveLength(1);
    const missing = await cli('runs', 'show', 'no-such-run', '--data-dir', dataDir);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('There is no run "no-such-run"');
  });
});
