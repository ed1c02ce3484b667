import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HealthMonitor, type StepNumbers } from '../../../main/training/engine/health.js';
import type { HealthWarning } from '../../../shared/types.js';

const options = { datasetSize: 5000, resolution: 32, augmenting: false };

/** A run recorded on a real image folder (scripts/health-fixture.mjs): what the monitor saw. */
interface Fixture {
  seen: string;
  config: { loss: string; resolution: number };
  datasetSize: number;
  /** [step, dLoss, gLoss, dFakeAfter] */
  steps: [number, number, number, number][];
  /** [step, grid diversity] */
  diversity: [number, number][];
}

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`fixtures/${name}.json`, import.meta.url), 'utf8')) as Fixture;
}

/** Replays a recorded run through a monitor, in step order as the worker feeds it. */
function replay(run: Fixture): HealthWarning[] {
  const monitor = new HealthMonitor({ ...options, datasetSize: run.datasetSize });
  const grids = new Map(run.diversity);
  const notices: HealthWarning[] = [];
  const gridAt = (step: number) => {
    const diversity = grids.get(step);
    if (diversity !== undefined) notices.push(...monitor.observeDiversity(step, diversity));
  };
  gridAt(0);
  for (const [step, dLoss, gLoss, dFakeAfter] of run.steps) {
    notices.push(...monitor.observe({ step, dLoss, gLoss, dFakeAfter }));
    if (step !== 0) gridAt(step);
  }
  return notices;
}

/** Feeds a series of metric points (every 10 steps) and returns the notices. */
function feed(monitor: HealthMonitor, points: (step: number) => Omit<StepNumbers, 'step'>, steps = 600) {
  const notices: HealthWarning[] = [];
  for (let step = 10; step <= steps; step += 10) notices.push(...monitor.observe({ step, ...points(step) }));
  return notices;
}

const healthy = (step: number) => ({
  dLoss: 1.2 + 0.1 * Math.sin(step / 37),
  gLoss: 1.5 + 0.3 * Math.sin(step / 53),
  dFakeAfter: 0.35 + 0.05 * Math.cos(step / 41),
});

const codes = (notices: HealthWarning[]) => notices.map((w) => `${w.code}${w.cleared ? ' cleared' : ''}`);

/**
 * Runs on real folders that collapsed, each with when a person saw its 16 samples become one
 * image and vary again (the fixture's `seen` says what the grids showed).
 */
const collapses = [
  { name: 'dcgan-bce-apple-32px', oneImageFrom: 40, variedAgainAt: 264 },
  { name: 'dcgan-bce-twemoji-64px', oneImageFrom: 50, variedAgainAt: 193 },
  { name: 'dcgan-hinge-apple-32px', oneImageFrom: 40, variedAgainAt: 336 },
] as const;

/** Runs on real folders whose samples grew varied: nothing to warn of. */
const healthyRuns = ['fastgan-hinge-twemoji-64px', 'fastgan-hinge-apple-32px'] as const;

/** Steps a user may wait for the warning: about a minute at DCGAN's speed on one CPU thread. */
const soonAfter = 60;

describe('health warnings on recorded runs', () => {
  it.each(collapses)(
    'warn of the collapse in $name soon after the samples become one image',
    ({ name, oneImageFrom }) => {
      const run = fixture(name);
      const collapse = replay(run).find((w) => w.code === 'mode-collapse' && !w.cleared);
      expect(collapse, run.seen).toBeDefined();
      expect(collapse!.step).toBeLessThanOrEqual(oneImageFrom + soonAfter);
      expect(collapse!.advice).toMatch(/checkpoint|hinge|learning rate/);
    },
  );

  it.each(collapses)(
    'clear it in $name once the samples vary again, and not before',
    ({ name, variedAgainAt }) => {
      const cleared = replay(fixture(name)).filter((w) => w.code === 'mode-collapse' && w.cleared);
      expect(cleared.map((w) => w.step)).toEqual([variedAgainAt]);
    },
  );

  it('say the discriminator is winning while D(G(z)) is on the floor and G loss climbs', () => {
    const notices = codes(replay(fixture('dcgan-bce-apple-32px')));
    expect(notices).toContain('discriminator-winning');
    expect(notices.indexOf('discriminator-winning')).toBeLessThan(
      notices.indexOf('discriminator-winning cleared'),
    );
  });

  it.each(healthyRuns)('stay quiet on %s, a healthy run', (name) => {
    const run = fixture(name);
    expect(codes(replay(run)), run.seen).toEqual([]);
  });
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
      expect(monitor.observeDiversity(step, d)).toEqual([]);
  });

  it('say when the discriminator wins for a stretch, and when it stops', () => {
    const monitor = new HealthMonitor(options);
    const raised = feed(monitor, (step) =>
      step <= 400 ? { dLoss: 0.05, gLoss: 2 + step / 100, dFakeAfter: 0.01 } : healthy(step),
    );
    expect(codes(raised)).toEqual(['discriminator-winning', 'discriminator-winning cleared']);
    expect(raised[0]?.advice).toMatch(/learning rate/);
    expect(raised[1]!.step).toBeGreaterThan(400);
    // A brief dip is not a stretch.
    const brief = new HealthMonitor(options);
    const dip = feed(brief, (step) =>
      step > 300 && step < 330 ? { dLoss: 0.05, gLoss: 2 + step / 50, dFakeAfter: 0.01 } : healthy(step),
    );
    expect(dip).toEqual([]);
  });

  it('say when a varied grid collapses, twice running, and when it varies again', () => {
    const monitor = new HealthMonitor(options);
    expect(monitor.observeDiversity(0, 0.2)).toEqual([]);
    expect(monitor.observeDiversity(50, 0.1)).toEqual([]);
    expect(monitor.observeDiversity(100, 0.1)).toEqual([]); // untrained generator: alike anyway
    expect(monitor.observeDiversity(400, 0.9)).toEqual([]);
    expect(monitor.observeDiversity(600, 0.15)).toEqual([]); // once may be chance
    const [w] = monitor.observeDiversity(800, 0.12);
    expect(w?.code).toBe('mode-collapse');
    expect(w?.message).toMatch(/only 12% .*90% at best before/);
    expect(monitor.observeDiversity(1000, 0.1)).toEqual([]); // said once
    expect(codes(monitor.observeDiversity(1200, 0.5))).toEqual(['mode-collapse cleared']);
  });

  it('say when the losses explode, before they reach infinity', () => {
    const monitor = new HealthMonitor(options);
    const raised = feed(monitor, (step) =>
      step > 400 ? { dLoss: 300, gLoss: step, dFakeAfter: 0.5 } : healthy(step),
    );
    expect(codes(raised)).toEqual(['divergence']);
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
