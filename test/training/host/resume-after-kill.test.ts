import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/store/database.js';
import { RunStore } from '../../../main/store/runs.js';
import { decodeCheckpoint } from '../../../main/training/checkpoint-file.js';
import { startCli } from '../../helpers/cli.js';
import { writePngs } from '../../helpers/images.js';
import { tempDir } from '../../helpers/temp.js';
import { configFlags, tinyModel } from '../../helpers/train-config.js';

const trainFlags = [
  ...configFlags({
    ...tinyModel,
    resolution: 32,
    steps: 1500,
    seed: 7,
    metricsEvery: 1,
    sampleEvery: 500,
    checkpointMinutes: 0.05,
  }),
  '--json',
];

function readRun(dataDir: string) {
  const conn = openDatabase(dataDir);
  const runs = new RunStore(conn);
  const run = runs.list()[0]!;
  const metrics = runs.metrics(run.id, ['dLoss', 'gLoss'], 100_000);
  const last = runs.checkpoints(run.id).at(-1)!;
  const checkpoint = decodeCheckpoint(
    new Uint8Array(fs.readFileSync(path.join(dataDir, 'runs', run.id, last.file))),
  );
  conn.close();
  return { run, metrics, checkpoint };
}

describe('a run killed mid-training', () => {
  it('resumes from its last checkpoint and ends exactly where an uninterrupted run ends', async () => {
    const images = await writePngs(tempDir(), 12, (i) => ({ r: i * 20, g: 200 - i * 10, b: 90 }));

    const straightDir = tempDir();
    const straight = await startCli('train', '--data', images, '--data-dir', straightDir, ...trainFlags)
      .exited;
    expect(straight.code).toBe(0);
    expect(JSON.parse(straight.out.trim().split('\n').at(-1)!)).toMatchObject({
      status: 'finished',
      step: 1500,
    });

    // Same run, killed (SIGKILL: no chance to checkpoint) once its first timed checkpoint exists.
    const killedDir = tempDir();
    const { proc, exited } = startCli('train', '--data', images, '--data-dir', killedDir, ...trainFlags);
    const runsDir = path.join(killedDir, 'runs');
    await expect
      .poll(
        () => {
          if (!fs.existsSync(runsDir)) return 0;
          return fs.readdirSync(runsDir).flatMap((r) => {
            const dir = path.join(runsDir, r, 'checkpoints');
            return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ckpt')) : [];
          }).length;
        },
        { timeout: 60_000, interval: 50 },
      )
      .toBeGreaterThan(0);
    proc.kill('SIGKILL');
    await exited;
    // The checkpoint file may be on disk before its message reached the store (the kill can fall
    // in between): resuming must find it either way.
    const conn = openDatabase(killedDir);
    const killed = { run: new RunStore(conn).list()[0]! };
    conn.close();
    expect(killed.run.step).toBeLessThan(1500);

    const resumed = await startCli('train', '--resume', killed.run.id, '--data-dir', killedDir, '--json')
      .exited;
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out.trim().split('\n').at(-1)!)).toMatchObject({
      status: 'finished',
      step: 1500,
    });

    const a = readRun(straightDir);
    const b = readRun(killedDir);
    // Curves continue without a gap or a repeat, and every step's losses equal the straight run's.
    expect(b.metrics['dLoss']!.map((p) => p.step)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
    expect(b.metrics['dLoss']).toEqual(a.metrics['dLoss']);
    expect(b.metrics['gLoss']).toEqual(a.metrics['gLoss']);
    // And the final weights, optimizer state and EMA are bit-identical.
    expect(b.checkpoint.meta.step).toBe(1500);
    expect(Object.keys(b.checkpoint.tensors).sort()).toEqual(Object.keys(a.checkpoint.tensors).sort());
    const bytes = (t: { data: Float32Array }) =>
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    for (const [name, tensor] of Object.entries(a.checkpoint.tensors)) {
      expect(bytes(b.checkpoint.tensors[name]!).equals(bytes(tensor)), name).toBe(true);
    }
  }, 180_000);
});
