import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/store/database.js';
import { startCli, type CliExit } from '../helpers/cli.js';
import { writePngs } from '../helpers/images.js';
import { tempDir } from '../helpers/temp.js';
import { configFlags, tinyModel } from '../helpers/train-config.js';

/** The CLI in its own process, as a user (or a script) runs it. */
function cli(...args: string[]): Promise<CliExit> {
  return startCli(...args).exited;
}

const trainFlags = [...configFlags({ ...tinyModel, steps: 20, sampleEvery: 10, threads: 1 }), '--json'];

describe('several processes on one data folder', () => {
  it('a scan, two runs and lists at once: nothing broken, nothing cancelled', async () => {
    // Enough images that the scan and the cache build take a while, for the others to overlap.
    const images = await writePngs(tempDir(), 400, (i) => ({ r: i % 256, g: (i >> 8) * 100, b: 90 }), {
      width: 48,
      height: 40,
      name: (i) => `${String(i).padStart(4, '0')}.png`,
    });
    const dataDir = tempDir();
    const at = ['--data-dir', dataDir];

    // Two `train --data DIR` started together: one scans the folder, the other waits for that scan.
    const first = cli('train', '--data', images, ...trainFlags, ...at);
    const second = cli('train', '--data', images, ...trainFlags, ...at);
    let running = true;
    void Promise.all([first, second]).then(() => (running = false));
    // Meanwhile, listing from other processes, each of which opens the folder and recovers
    // what it thinks was left behind.
    const lists: CliExit[] = [];
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
