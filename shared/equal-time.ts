/**
 * Which of several runs is closer to its images at equal training time.
 *
 * Runs trained for different times cannot be judged by their last quality points: the longer
 * one usually wins for being longer. So every run is read at the same training time — the
 * shortest run's last measurement — interpolating between its own measurements, never past
 * them.
 */

export interface QualityCurve {
  id: string;
  /** Training time of each quality measurement, in seconds, ascending. */
  seconds: readonly number[];
  /** The SWD measured then (lower is closer). */
  swd: readonly number[];
}

export interface EqualTimeReading {
  /** The training time at which every run was read. */
  seconds: number;
  /** Each run's SWD at that time, in the order given. */
  readings: { id: string; swd: number }[];
  /** The run with the lowest SWD then, or null when the lowest two are within `tie`. */
  closer: string | null;
}

/**
 * Relative difference below which two SWDs count as a tie: measurements of one model on fresh
 * samples differ by a few percent, so a smaller gap says nothing about the runs.
 */
export const equalTimeTie = 0.05;

/**
 * The runs' SWD at the shortest run's last measured training time, or null when fewer than two
 * runs have measurements that cover a common time.
 */
export function closerAtEqualTime(curves: readonly QualityCurve[]): EqualTimeReading | null {
  const measured = curves.filter((c) => c.seconds.length > 0 && c.seconds.length === c.swd.length);
  if (measured.length < 2) return null;
  const at = Math.min(...measured.map((c) => c.seconds.at(-1)!));
  const readings: { id: string; swd: number }[] = [];
  for (const curve of measured) {
    const swd = valueAt(curve, at);
    // A run whose first measurement comes later than another's last has nothing to say then.
    if (swd === null) return null;
    readings.push({ id: curve.id, swd });
  }
  const ranked = [...readings].sort((a, b) => a.swd - b.swd);
  const [best, next] = [ranked[0]!, ranked[1]!];
  const tied = next.swd - best.swd <= equalTimeTie * next.swd;
  return { seconds: at, readings, closer: tied ? null : best.id };
}

function valueAt(curve: QualityCurve, at: number): number | null {
  const { seconds, swd } = curve;
  if (at < seconds[0]!) return null;
  const after = seconds.findIndex((s) => s >= at);
  // at lies within the curve's measurements, so some measurement is at or after it.
  if (after === 0) return swd[0]!;
  const [t0, t1] = [seconds[after - 1]!, seconds[after]!];
  const share = t1 === t0 ? 1 : (at - t0) / (t1 - t0);
  return swd[after - 1]! + share * (swd[after]! - swd[after - 1]!);
}
