import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { vi } from 'vitest';
import { runCli } from '../../main/cli/index.js';

/** Runs the CLI in-process and returns its exit code and what it printed. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    const code = await runCli(args);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = undefined;
  }
}

const child = path.resolve('test/helpers/cli-child.ts');

export interface CliExit {
  args: string[];
  code: number | null;
  out: string;
  err: string;
}

/**
 * Starts the CLI in its own process, as a user (or a script) runs it, so that several can share a
 * data folder and a test can kill one as a crash would. `exited` resolves with what it printed.
 */
export function startCli(...args: string[]): { proc: ChildProcess; exited: Promise<CliExit> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<CliExit>((resolve) =>
    proc.on('exit', (code) => resolve({ args, code, out, err })),
  );
  return { proc, exited };
}
