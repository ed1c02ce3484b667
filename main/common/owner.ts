import os from 'node:os';

/** This process, as recorded on the runs it trains. */
export const thisProcess = `${os.hostname()}:${process.pid}`;

/**
 * How long a process may go without touching what it owns before it counts as gone. Owners
 * touch their work every few seconds (a run's row: training/host/manager.ts).
 */
export const heartbeatStaleMs = 30_000;

/**
 * Whether the process that recorded `owner` still runs: its pid is alive here and, where the
 * work records a heartbeat, it beat recently (a pid reused by another program has no heartbeat).
 * A pid from another machine (a data folder on a shared drive, or a renamed host) cannot be
 * checked and counts as gone.
 */
export function ownerAlive(owner: string, heartbeatAt?: number, now = Date.now()): boolean {
  if (heartbeatAt !== undefined && now - heartbeatAt > heartbeatStaleMs && owner !== thisProcess)
    return false;
  const at = owner.lastIndexOf(':');
  const host = owner.slice(0, at);
  const pid = Number(owner.slice(at + 1));
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return owner === thisProcess;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
