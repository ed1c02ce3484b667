import type { RunEvent } from '../../shared/types.js';

/**
 * Maps the wall-clock times of a run's metrics (ascending) to training time: seconds trained
 * before the session each falls in, plus the time since that session started. Pauses, queueing
 * and the app being closed are left out, so runs compare by the time they actually trained.
 * A run recorded before it kept a history has no sessions: its time counts from its first point.
 */
export function trainingSeconds(history: readonly RunEvent[], wall: readonly number[]): number[] {
  const sessions = history
    .filter((e) => e.kind === 'started')
    .map((e) => ({ at: e.at, before: e.trainSeconds ?? 0 }));
  const origin = wall[0] ?? 0;
  let s = -1;
  return wall.map((w) => {
    while (s + 1 < sessions.length && sessions[s + 1]!.at <= w) s++;
    const session = sessions[s];
    return session ? session.before + (w - session.at) / 1000 : (w - origin) / 1000;
  });
}

/**
 * Seconds a run has trained up to `now`. The store adds a session's time when it ends, so a
 * running run's stored total lags by its whole current session; this adds it.
 */
export function trainedSoFar(
  run: { status: string; trainSeconds: number },
  history: readonly RunEvent[],
  now: number,
): number {
  if (run.status !== 'running') return run.trainSeconds;
  const session = history.findLast((e) => e.kind === 'started');
  if (!session) return run.trainSeconds;
  return Math.max(run.trainSeconds, (session.trainSeconds ?? 0) + Math.max(0, now - session.at) / 1000);
}
