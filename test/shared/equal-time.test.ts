import { describe, expect, it } from 'vitest';
import { closerAtEqualTime } from '../../shared/equal-time.js';

describe('closerAtEqualTime', () => {
  it('reads every run at the shortest run’s last measurement, not at each run’s end', () => {
    // The long run ends far lower, but at 100 s it was behind the short one.
    const reading = closerAtEqualTime([
      { id: 'short', seconds: [50, 100], swd: [80, 40] },
      { id: 'long', seconds: [60, 140, 600], swd: [90, 50, 10] },
    ]);
    expect(reading?.seconds).toBe(100);
    expect(reading?.readings[0]).toEqual({ id: 'short', swd: 40 });
    // Interpolated between 60 s (90) and 140 s (50): 90 - 40 * (40 / 80) = 70.
    expect(reading?.readings[1]?.swd).toBeCloseTo(70, 9);
    expect(reading?.closer).toBe('short');
  });

  it('names no winner when the two closest differ by less than measurement noise', () => {
    const reading = closerAtEqualTime([
      { id: 'a', seconds: [100], swd: [40] },
      { id: 'b', seconds: [100], swd: [41] },
      { id: 'c', seconds: [100], swd: [90] },
    ]);
    expect(reading?.closer).toBeNull();
  });

  it('says nothing when a run was first measured after another’s last, or only one is measured', () => {
    expect(
      closerAtEqualTime([
        { id: 'a', seconds: [10, 20], swd: [50, 40] },
        { id: 'b', seconds: [30, 40], swd: [20, 10] },
      ]),
    ).toBeNull();
    expect(
      closerAtEqualTime([
        { id: 'a', seconds: [10], swd: [50] },
        { id: 'b', seconds: [], swd: [] },
      ]),
    ).toBeNull();
  });
});
