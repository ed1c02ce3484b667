import os from 'node:os';

/** This process, as recorded on the runs it trains. */
export const thisProcess = `${os.hostname()}:${process.pid}`;

/**
 * Whether the process that recorded `owner` still runs. A pid from another machine (a data
 * folder on a shared drive, or a renamed host) cannot be checked and counts as gone.
 */
export function ownerAlive(owner: string): boolean {
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
