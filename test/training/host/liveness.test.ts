import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../../shared/config.js';
import type { RunSummary } from '../../../shared/types.js';
import { api, openStudio } from '../../helpers/studio.js';

/**
 * A run another process trains is alive while that process runs and keeps touching it; killed
 * (kill -9) or with its pid reused by another program, the run is shown as interrupted, to be
 * continued, instead of running forever.
 */
describe('a run whose process is gone', () => {
  const runningFor = (s: ReturnType<typeof openStudio>, owner: string, heartbeatAgoMs = 0) => {
    const run = s.runs.create({
      name: owner,
      datasetId: null,
      config: defaultTrainConfig,
      status: 'running',
      owner,
    });
    s.conn.prepare('UPDATE runs SET updated_at = ? WHERE id = ?').run(Date.now() - heartbeatAgoMs, run.id);
    return run.id;
  };

  it('is marked interrupted, with its status sent, when its pid is gone or its heartbeat stale', async () => {
    const s = openStudio();
    const heard: string[] = [];
    s.events.subscribe((e) => {
      if (e.name === 'run.status') heard.push(`${e.payload.runId} ${e.payload.status}`);
    });
    const killed = runningFor(s, `${os.hostname()}:999999`);
    // A live pid (this test's parent) that stopped beating: the pid was reused by another program.
    const reused = runningFor(s, `${os.hostname()}:${process.ppid}`, 60_000);
    const alive = runningFor(s, `${os.hostname()}:${process.ppid}`);
    s.training.reapDead();
    expect(s.runs.get(killed)?.status).toBe('interrupted');
    expect(s.runs.get(reused)?.status).toBe('interrupted');
    expect(s.runs.get(alive)?.status).toBe('running');
    expect(heard).toEqual(expect.arrayContaining([`${killed} interrupted`, `${reused} interrupted`]));
    expect(s.runs.history(killed).map((e) => e.kind)).toContain('interrupted');
  });

  it('answers Pause with the run as interrupted, not "is running, not training"', async () => {
    const s = openStudio();
    const id = runningFor(s, `${os.hostname()}:999999`);
    const paused: RunSummary = await api(s, 'training.pause', { id });
    expect(paused.status).toBe('interrupted');
    // One that lives elsewhere is still refused, naming the process.
    const elsewhere = runningFor(s, `${os.hostname()}:${process.ppid}`);
    await expect(api(s, 'training.pause', { id: elsewhere })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/another GAN Studio process \(pid \d+\)/),
    });
  });
});
