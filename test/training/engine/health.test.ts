import { describe, expect, it } from 'vitest';
import { HealthMonitor, type StepNumbers } from '../../../main/training/engine/health.js';
import type { HealthWarning } from '../../../shared/types.js';

const options = { datasetSize: 5000, resolution: 32, augmenting: false };

/** Feeds a series of metric points (every 10 steps) and returns the warnings raised. */
function feed(monitor: HealthMonitor, points: (step: number) => Omit<StepNumbers, 'step'>, steps = 600) {
  const raised: HealthWarning[] = [];
  for (let step = 10; step <= steps; step += 10) {
    const w = monitor.observe({ step, ...points(step) });
    if (w) raised.push(w);
  }
  return raised;
}

const healthy = (step: number) => ({
  dLoss: 1.2 + 0.1 * Math.sin(step / 37),
  gLoss: 1.5 + 0.3 * Math.sin(step / 53),
  dFakeAfter: 0.35 + 0.05 * Math.cos(step / 41),
});

describe('health warnings', () => {
  it('say nothing on a healthy run', () => {
    const monitor = new HealthMonitor(options);
    expect(monitor.start(0)).toEqual([]);
    expect(feed(monitor, healthy)).toEqual([]);
    for (const [step, d] of [
      [0, 0.05],
      [200, 0.4],
      [400, 0.8],
      [600, 0.9],
    ] as const)
      expect(monitor.observeDiversity(step, d)).toBeNull();
  });

  it('say when the discriminator wins: D(G(z)) near 0 and G loss climbing for a stretch', () => {
    const monitor = new HealthMonitor(options);
    const raised = feed(monitor, (step) => ({ dLoss: 0.05, gLoss: 2 + step / 100, dFakeAfter: 0.01 }));
    expect(raised.map((w) => w.code)).toEqual(['discriminator-winning']);
    expect(raised[0]?.advice).toMatch(/learning rate/);
    // A brief dip is not a stretch.
    const brief = new HealthMonitor(options);
    const dip = feed(brief, (step) =>
      step > 300 && step < 380 ? { dLoss: 0.05, gLoss: 2 + step / 50, dFakeAfter: 0.01 } : healthy(step),
    );
    expect(dip).toEqual([]);
  });

  it('say when the sample grid collapses, twice running, after the first steps', () => {
    const monitor = new HealthMonitor(options);
    expect(monitor.observeDiversity(100, 0.05)).toBeNull(); // untrained generator: alike anyway
    expect(monitor.observeDiversity(400, 0.9)).toBeNull();
    expect(monitor.observeDiversity(600, 0.2)).toBeNull(); // once may be chance
    const w = monitor.observeDiversity(800, 0.15);
    expect(w?.code).toBe('mode-collapse');
    expect(w?.message).toMatch(/15%/);
    expect(monitor.observeDiversity(1000, 0.1)).toBeNull(); // said once
  });

  it('say when the losses explode, before they reach infinity', () => {
    const monitor = new HealthMonitor(options);
    const raised = feed(monitor, (step) =>
      step > 400 ? { dLoss: 300, gLoss: step, dFakeAfter: 0.5 } : healthy(step),
    );
    expect(raised.map((w) => w.code)).toEqual(['divergence']);
  });

  it('say when the dataset is small for the resolution, and whether DiffAugment is on', () => {
    const small = new HealthMonitor({ datasetSize: 25, resolution: 64, augmenting: true });
    const [w] = small.start(0);
    expect(w?.code).toBe('small-dataset');
    expect(w?.title).toMatch(/25 images/);
    expect(w?.message).toMatch(/DiffAugment is on/);
    expect(new HealthMonitor({ ...options, datasetSize: 1000 }).start(0)).toEqual([]);
  });
});
