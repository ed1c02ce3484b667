import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/store/database.js';
import { RunStore } from '../../main/store/runs.js';
import { decodeCheckpoint } from '../../main/training/engine/checkpoint.js';
import { tempDir } from '../helpers/temp.js';

const child = path.resolve('test/helpers/cli-child.ts');
const trainFlags = [
  '--resolution',
  '32',
  '--steps',
  '1500',
  '--batch-size',
  '4',
  '--width',
  '0.125',
  '--latent-size',
  '16',
  '--seed',
  '7',
  '--metrics-every',
  '1',
  '--sample-every',
  '500',
  '--checkpoint-minutes',
  '0.05',
  '--backend',
  'wasm',
  '--json',
];

function startCli(args: string[]) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; out: string }>((resolve) =>
    proc.on('exit', (code) => resolve({ code, out })),
  );
  return { proc, exited };
}

async function writeImages(dir: string): Promise<void> {
  for (let i = 0; i < 12; i++) {
    await sharp({
      create: { width: 32, height: 32, channels: 3, background: { r: i * 20, g: 200 - i * 10, b: 90 } },
    })
      .png()
      .toFile(path.join(dir, `${i}.png`));
  }
}

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
    const images = tempDir();
    await writeImages(images);

    const straightDir = tempDir();
    const straight = await startCli(['train', '--data', images, '--data-dir', straightDir, ...trainFlags])
      .exited;
    expect(straight.code).toBe(0);
    expect(JSON.parse(straight.out.trim().split('\n').at(-1)!)).toMatchObject({
      status: 'finished',
      step: 1500,
    });

    // Same run, killed (SIGKILL: no chance to checkpoint) once its first timed checkpoint exists.
    const killedDir = tempDir();
    const { proc, exited } = startCli(['train', '--data', images, '--data-dir', killedDir, ...trainFlags]);
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

    const resumed = await startCli(['train', '--resume', killed.run.id, '--data-dir', killedDir, '--json'])
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
