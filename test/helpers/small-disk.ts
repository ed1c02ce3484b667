import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

export interface SmallDisk {
  /** Where it is mounted. */
  dir: string;
  /** Writes a filler file until no byte is left, then gives back `leaveBytes` (page-rounded). */
  fill(leaveBytes?: number): void;
  /** Deletes the filler: the disk has room again. */
  unfill(): void;
}

const mounted: string[] = [];

function mount(dir: string, megabytes: number): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir]).status === 0;
}

function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Whether this machine lets the tests mount a small tmpfs (root, and mount allowed). Where it does
 * not, the tests that need a real full disk skip; those on SQLite's page limit still run.
 */
export const canMountSmallDisk: boolean = (() => {
  if (process.platform !== 'linux') return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-mount-'));
  const ok = mount(probe, 1);
  if (ok) unmount(probe);
  else fs.rmSync(probe, { recursive: true, force: true });
  return ok;
})();

/** A real disk of `megabytes` MiB (a tmpfs), unmounted after the test. */
export function smallDisk(megabytes: number): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-disk-'));
  if (!mount(dir, megabytes)) throw new Error(`could not mount a tmpfs at ${dir}`);
  mounted.push(dir);
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill(leaveBytes = 0) {
      const fd = fs.openSync(filler, 'a');
      try {
        for (const size of [1 << 20, 1 << 16, 1 << 12, 512, 1]) {
          const chunk = Buffer.alloc(size, 7);
          try {
            for (;;) fs.writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          }
        }
      } finally {
        fs.closeSync(fd);
      }
      if (leaveBytes > 0) fs.truncateSync(filler, Math.max(0, fs.statSync(filler).size - leaveBytes));
    },
    unfill() {
      fs.rmSync(filler, { force: true });
    },
  };
}

afterEach(() => {
  for (const dir of mounted.splice(0)) unmount(dir);
});
