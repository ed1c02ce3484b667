import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';

const forTest: string[] = [];
const forFile: string[] = [];

function make(prefix: string, list: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  list.push(dir);
  return dir;
}

/** A fresh temporary folder, removed after the test. */
export function tempDir(prefix = 'gan-studio-test-'): string {
  return make(prefix, forTest);
}

/** A fresh temporary folder that lives for the whole test file (made in beforeAll, say). */
export function fileTempDir(prefix = 'gan-studio-test-'): string {
  return make(prefix, forFile);
}

const remove = (list: string[]) => {
  for (const dir of list.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
};
afterEach(() => remove(forTest));
afterAll(() => remove(forFile));
