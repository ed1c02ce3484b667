import { spawn } from 'node:child_process';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/store/database.js';
import { tempDir } from '../helpers/temp.js';

const child = path.resolve('test/helpers/cli-child.ts');

interface Exit {
  args: string[];
  code: number | null;
  out: string;
  err: string;
}

/** The CLI in its own process, as a user (or a script) runs it. */
function cli(...args: string[]): Promise<Exit> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ args, code, out, err })));
}

const trainFlags = [
  '--steps',
  '20',
  '--batch-size',
  '4',
  '--width',
  '0.125',
  '--latent-size',
  '16',
  '--sample-every',
  '10',
  '--backend',
  'wasm',
  '--threads',
  '1',
  '--json',
];

describe('several processes on one data folder', () => {
  it('a scan, two runs and lists at once: nothing broken, nothing cancelled', async () => {
    const images = tempDir();
    // Enough images that the scan and the cache build take a while, for the others to overlap.
    for (let i = 0; i < 400; i++) {
      await sharp({
        create: { width: 48, height: 40, channels: 3, background: { r: i % 256, g: (i >> 8) * 100, b: 90 } },
      })
        .png()
        .toFile(path.join(images, `${String(i).padStart(4, '0')}.png`));
    }
    const dataDir = tempDir();
    const at = ['--data-dir', dataDir];

    // Two `train --data DIR` started together: one scans the folder, the other waits for that scan.
    const first = cli('train', '--data', images, ...trainFlags, ...at);
    const second = cli('train', '--data', images, ...trainFlags, ...at);
    let running = true;
    void Promise.all([first, second]).then(() => (running = false));
    // Meanwhile, listing from other processes, each of which opens the folder and recovers
    // what it thinks was left behind.
    const lists: Exit[] = [];
    while (running) {
      lists.push(
        ...(await Promise.all([
          cli('runs', 'list', '--json', ...at),
          cli('datasets', 'list', '--json', ...at),
        ])),
      );
    }
    const runs = await Promise.all([first, second]);

    for (const run of runs) {
      expect({ code: run.code, err: run.err }).toEqual({ code: 0, err: '' });
      expect(JSON.parse(run.out.trim().split('\n').at(-1)!)).toMatchObject({
        status: 'finished',
        step: 20,
        error: null,
      });
    }
    expect(lists.length).toBeGreaterThan(1);
    for (const list of lists) {
      expect({ args: list.args, code: list.code, err: list.err }).toEqual({
        args: list.args,
        code: 0,
        err: '',
      });
      for (const item of JSON.parse(list.out) as { status: string }[]) {
        expect(['scanning', 'ready', 'queued', 'running', 'finished']).toContain(item.status);
      }
    }
    const conn = openDatabase(dataDir);
    expect(conn.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(conn.db.prepare('SELECT status, image_count AS images FROM datasets').all()).toEqual([
      { status: 'ready', images: 400 },
    ]);
    conn.close();
  }, 180_000);
});
