import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backendNames } from '../../../shared/config.js';
import { probeBackends } from '../../../main/training/host/probe.js';
import { selectBackend } from '../../../main/training/worker/backends.js';

describe('backends', () => {
  it('probes every backend cheaply, with a reason for each unavailable one', async () => {
    const statuses = await probeBackends();
    expect(statuses.map((s) => s.name)).toEqual([...backendNames]);
    expect(statuses.find((s) => s.name === 'cpu')?.available).toBe(true);
    expect(statuses.find((s) => s.name === 'wasm')?.available).toBe(true);
    for (const s of statuses) {
      if (!s.available) expect(s.reason, s.name).toMatch(/\w{4,}/);
    }
    // Probing initialises nothing: no backend was made current by it.
    expect(await probeBackends()).toBe(statuses); // cached
  });

  it("'auto' picks the best that starts and says why better ones were skipped", async () => {
    const probe = await probeBackends();
    const { backend, notes } = await selectBackend('auto');
    expect(tf.getBackend()).toBe(backend);
    const best = probe.find((s) => s.available)?.name;
    // The probe cannot see every failure (a package may resolve and still not load), so the
    // choice is never better than the probe's best.
    expect(backendNames.indexOf(backend)).toBeGreaterThanOrEqual(backendNames.indexOf(best ?? 'cpu'));
    expect(notes.map((n) => n.name)).toEqual(backendNames.slice(0, backendNames.indexOf(backend)));
    for (const note of notes) expect(note.reason, note.name).toMatch(/\w{4,}/);
    if (backend === 'wasm') {
      expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    }
  });

  it('an explicit choice starts there', async () => {
    expect(await selectBackend('cpu')).toEqual({ backend: 'cpu', notes: [] });
    expect(tf.getBackend()).toBe('cpu');
  });
});
