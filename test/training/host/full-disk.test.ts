import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Studio } from '../../../main/studio.js';
import { diskFullRunMessage } from '../../../main/common/disk-space.js';
import { startServer, type RunningServer } from '../../../main/server/server.js';
import { openDatabase } from '../../../main/store/database.js';
import type { RunStatus } from '../../../shared/types.js';
import { canMountSmallDisk, smallDisk } from '../../helpers/small-disk.js';
// After small-disk: hooks run in reverse order, so the Studio closes before its disk is unmounted.
import { startRun, studioWithDataset, untilStep } from '../../helpers/studio.js';
import { tinyModel } from '../../helpers/train-config.js';

// Registered after the Studio helper's hook, so it runs first: the server goes before its Studio.
let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** Trains quickly and writes nothing to the run folder until it is paused. */
const tiny = {
  ...tinyModel,
  resolution: 32 as const,
  steps: 100_000,
  metricsEvery: 1,
  sampleEvery: 1_000_000,
  checkpointMinutes: 60,
  keepCheckpoints: 2,
  threads: 1,
};

/** The status the run ends on, or 'still running' when it has not ended within the time. */
function untilEnded(s: Studio, runId: string, ms = 30_000): Promise<RunStatus | 'still running'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve('still running');
    }, ms);
    const off = s.events.subscribe((e) => {
      if (
        e.name === 'run.status' &&
        e.payload.runId === runId &&
        !['running', 'queued'].includes(e.payload.status)
      ) {
        clearTimeout(timer);
        off();
        resolve(e.payload.status);
      }
    });
  });
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

describe('a run whose progress cannot be saved', () => {
  it('pauses with the reason when the database is full, and the process carries on', async () => {
    const { s, datasetId } = await studioWithDataset({ cache: { resolution: 32 } });
    const run = await startRun(s, { datasetId, config: tiny });
    await untilStep(s, run.id, 3);
    // SQLite's own limit on the database's size: its writes fail with SQLITE_FULL for real.
    s.conn.db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = s.conn.db.pragma('page_count', { simple: true }) as number;
    s.conn.db.pragma(`max_page_count = ${pages}`);
    expect(await untilEnded(s, run.id)).toBe('paused');
    expect(s.runs.get(run.id)).toMatchObject({ status: 'paused', error: diskFullRunMessage, owner: null });
    // Its checkpoint is on disk, so resuming continues from it.
    const checkpoints = fs.readdirSync(path.join(s.options.dataDir, 'runs', run.id, 'checkpoints'));
    expect(checkpoints).toHaveLength(1);

    // Other API calls answer, and a disk-full error is one the user can act on.
    expect(await s.router.call('runs.list', {})).toMatchObject({ ok: true });
    const refused = await s.router.call('runs.update', { id: run.id, notes: 'x'.repeat(20_000) });
    expect(refused).toMatchObject({ ok: false, error: { code: 'unavailable', message: /disk is full/ } });

    s.conn.db.pragma('max_page_count = 1073741823');
    await s.training.resume(run.id);
    const resumedAt = Number(checkpoints[0]!.match(/\d+/)![0]);
    await untilStep(s, run.id, resumedAt + 3);
    expect((await s.training.pause(run.id)).status).toBe('paused');
    expect(s.runs.get(run.id)!.error).toBeNull();
  });
});

describe.skipIf(!canMountSmallDisk)('a run started on a disk without room for it (tmpfs)', () => {
  it('is refused, saying how much it needs and how much is free, and the reserve is kept', async () => {
    const disk = smallDisk(24);
    const dataDir = path.join(disk.dir, 'data');
    const { s, datasetId } = await studioWithDataset({ dataDir, cache: { resolution: 32 } });
    const reserve = path.join(dataDir, 'disk-reserve.bin');
    expect(fs.statSync(reserve).size).toBe(2 * 1024 * 1024);
    // What the user met: 840 KB free and the reserve in place.
    disk.fill(840 * 1024);

    const refused = await s.router.call('training.start', { datasetId, config: tiny });
    expect(refused).toMatchObject({
      ok: false,
      error: {
        code: 'unavailable',
        message: expect.stringMatching(
          /Not enough disk space to start this run: it needs about [\d.]+ MB, and 0\.\d MB is free.*keep fewer checkpoints/,
        ),
      },
    });
    expect(s.runs.list()).toEqual([]);
    expect(fs.statSync(reserve).size).toBe(2 * 1024 * 1024);

    disk.unfill();
    const run = await startRun(s, { datasetId, config: { ...tiny, steps: 2 } });
    await s.training.whenIdle(run.id);
    expect(s.runs.get(run.id)?.status).toBe('finished');
  });
});

describe.skipIf(!canMountSmallDisk)('serve on a data folder whose disk fills up (tmpfs)', () => {
  it('pauses the run with the reason, stays up, leaves no temporary file and a readable store', async () => {
    const disk = smallDisk(24);
    const dataDir = path.join(disk.dir, 'data');
    const { s, datasetId } = await studioWithDataset({ dataDir, cache: { resolution: 32 } });
    server = await startServer({ studio: s, staticDir: path.resolve('out/renderer'), port: 0 });
    const call = async (method: string, input: unknown) => {
      const response = await fetch(`http://127.0.0.1:${server!.port}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server!.token}` },
        body: JSON.stringify(input),
      });
      return { status: response.status, body: (await response.json()) as { ok: boolean; result?: unknown } };
    };
    const started = await call('training.start', { datasetId, config: tiny });
    expect(started.status).toBe(200);
    const runId = (started.body.result as { id: string }).id;
    await untilStep(s, runId, 3);
    // From here every new byte fails: the write-ahead log has to grow for the next metrics.
    s.conn.db.pragma('wal_checkpoint(TRUNCATE)');
    disk.fill();

    expect(await untilEnded(s, runId)).toBe('paused');
    const listed = await call('runs.list', {});
    expect(listed.status).toBe(200);
    expect(listed.body.result).toMatchObject([{ id: runId, status: 'paused', error: diskFullRunMessage }]);
    // None left behind: a write still under way when the run paused (its run.json) may hold one
    // for a moment, and removes it when the full disk fails it.
    await expect.poll(() => filesUnder(dataDir).filter((f) => /tmp/.test(f)), { timeout: 5000 }).toEqual([]);
    // Starting more work on a full disk is refused with what to do.
    const refused = await call('training.resume', { id: runId });
    expect(refused.body).toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: /disk is full/ },
    });

    disk.unfill();
    const reader = openDatabase(dataDir);
    expect(reader.db.pragma('integrity_check', { simple: true })).toBe('ok');
    reader.close();
    expect((await call('training.resume', { id: runId })).status).toBe(200);
    await untilStep(s, runId, s.runs.get(runId)!.step + 2);
    expect((await call('training.pause', { id: runId })).body).toMatchObject({
      ok: true,
      result: { status: 'paused', error: null },
    });
  });
});
