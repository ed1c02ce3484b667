import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backendNames } from '../../../shared/config.js';
import { probeBackends } from '../../../main/training/host/probe.js';
import { selectBackend } from '../../../main/training/worker/backends.js';
import { vulkanMissing, type VulkanCheck } from '../../../main/training/packages.js';
import { startCli } from '../../helpers/cli.js';
import { writePngs } from '../../helpers/images.js';
import { tempDir } from '../../helpers/temp.js';

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

describe('a machine without a GPU driver', () => {
  const machine = (files: string[], cache = '', libraryPath?: string): VulkanCheck => ({
    platform: 'linux',
    libraryPath,
    exists: (file) => files.includes(file),
    loaderCache: () => cache,
  });

  it('is told so in the studio words, before Dawn is loaded to say it in its own', () => {
    expect(vulkanMissing(machine([]))).toMatch(/No GPU was found: the Vulkan loader \(libvulkan\.so\.1\)/);
    expect(vulkanMissing(machine(['/usr/lib/x86_64-linux-gnu/libvulkan.so.1']))).toBeNull();
    expect(vulkanMissing(machine(['/opt/gpu/lib/libvulkan.so.1'], '', '/opt/gpu/lib'))).toBeNull();
    expect(vulkanMissing(machine([], '\0libvulkan.so.1\0/usr/lib/libvulkan.so.1'))).toBeNull();
    expect(vulkanMissing({ ...machine([]), platform: 'darwin' })).toBeNull();
  });

  it('trains from the CLI without Dawn printing "Couldn\'t load Vulkan"', async () => {
    if (vulkanMissing() === null) {
      console.warn('Skipped: this machine has a Vulkan loader, so Dawn has nothing to complain about.');
      return;
    }
    const images = await writePngs(tempDir(), 4, (i) => ({ r: 60 * i, g: 90, b: 30 }));
    const run = startCli(
      'train',
      '--data',
      images,
      '--steps',
      '2',
      '--batch-size',
      '2',
      '--width',
      '0.125',
      '--latent-size',
      '8',
      '--threads',
      '1',
      '--data-dir',
      tempDir(),
    );
    const { code, err } = await run.exited;
    expect(code).toBe(0);
    expect(err).not.toMatch(/Couldn't load Vulkan|BackendVk/);
    expect(await probeBackends()).toContainEqual(
      expect.objectContaining({
        name: 'webgpu',
        available: false,
        reason: expect.stringMatching(/^No GPU was found/),
      }),
    );
  }, 120_000);
});
