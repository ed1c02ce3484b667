/**
 * When a run shows itself: a sample grid soon after training starts, so a user sees the generator
 * learn within the first minute, then sparser as the run grows old (every grid is kept for the
 * timeline, so a long run must not write thousands); chart points at least every couple of
 * seconds, however slow a step is.
 */

/** The first grid after the first step (the step-0 grid shows the untrained generator). */
export const firstSampleAfterMs = 10_000;

/** Chart points and progress go out at least this often. */
export const metricsIntervalMs = 2_000;

/** The wait before the next grid, by how long the run has trained. */
export function sampleIntervalMs(trainedMs: number): number {
  if (trainedMs < 2 * 60_000) return 15_000;
  if (trainedMs < 10 * 60_000) return 30_000;
  if (trainedMs < 60 * 60_000) return 2 * 60_000;
  return 5 * 60_000;
}

/** Tracks when the next sample grid is due, by time and, where asked, every N steps. */
export class SampleSchedule {
  private readonly started: number;
  private nextAt: number;

  constructor(
    private readonly everySteps: number,
    now = Date.now(),
  ) {
    this.started = now;
    this.nextAt = now + firstSampleAfterMs;
  }

  due(step: number, now = Date.now()): boolean {
    return (this.everySteps > 0 && step % this.everySteps === 0) || now >= this.nextAt;
  }

  /** A grid was just taken. */
  taken(now = Date.now()): void {
    this.nextAt = now + sampleIntervalMs(now - this.started);
  }
}

/**
 * The quality curve (SWD) costs a second or more of CPU per point: a first point soon after the
 * start, then one every few minutes, and one when the run stops, pauses or finishes.
 */
export const swdFirstAfterMs = 30_000;
export const swdIntervalMs = 3 * 60_000;
