import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../shared/config.js';
import { planContinuation } from '../../main/runs/continuation.js';

const run = { name: 'r', status: 'stopped' as const, config: { ...defaultTrainConfig, steps: 300 } };
const checkpoints = [
  { step: 100, starred: false },
  { step: 200, starred: false },
  { step: 250, starred: false },
];

describe('planContinuation', () => {
  it('goes on from the latest checkpoint with the changes, listing only what changed', () => {
    const plan = planContinuation(run, checkpoints, { changes: { steps: 600, lrG: 0.0001, lrD: 0.0002 } });
    expect(plan.fromStep).toBe(250);
    expect(plan.discard).toEqual([]);
    expect(plan.config).toEqual({ ...run.config, steps: 600, lrG: 0.0001 });
    expect(plan.changes).toEqual([
      { field: 'steps', from: 300, to: 600 },
      { field: 'lrG', from: 0.0002, to: 0.0001 },
    ]);
  });

  it('goes on from a chosen checkpoint and discards the later ones', () => {
    const plan = planContinuation(run, checkpoints, { fromStep: 100, changes: {} });
    expect(plan).toMatchObject({ fromStep: 100, discard: [200, 250], changes: [] });
  });

  it('refuses a checkpoint that is not there, naming the ones that are', () => {
    expect(() => planContinuation(run, checkpoints, { fromStep: 150, changes: {} })).toThrow(
      /no checkpoint at step 150\. Choose one of steps 100, 200, 250/,
    );
  });

  it('refuses to discard a starred checkpoint', () => {
    const starred = checkpoints.map((c) => (c.step === 200 ? { ...c, starred: true } : c));
    expect(() => planContinuation(run, starred, { fromStep: 100, changes: {} })).toThrow(
      /discard the starred checkpoint at step 200/,
    );
  });

  it('asks a finished run for more steps, and refuses a total it has already reached', () => {
    const finished = { ...run, status: 'finished' as const };
    const done = [{ step: 300, starred: false }];
    expect(() => planContinuation(finished, done, { changes: {} })).toThrow(
      /has finished all 300 steps\. Give it more steps to continue, e\.g\. 600/,
    );
    expect(() => planContinuation(finished, done, { changes: { steps: 300 } })).toThrow(
      /must be more than 300 steps \(asked: 300\)/,
    );
    expect(planContinuation(finished, done, { changes: { steps: 2300 } }).config.steps).toBe(2300);
  });

  it('refuses a run that is training, and starts over a run with no checkpoint', () => {
    expect(() => planContinuation({ ...run, status: 'running' }, checkpoints, { changes: {} })).toThrow(
      /is running\. Pause or stop it first/,
    );
    const failed = planContinuation({ ...run, status: 'failed' }, [], { changes: { lrD: 0.001 } });
    expect(failed).toMatchObject({ fromStep: null, discard: [] });
  });
});
