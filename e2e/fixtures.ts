import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test as base, expect, type APIRequestContext } from '@playwright/test';
import { writeImageFolder } from './image-folder.js';

export interface ServeInstance {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  /** POSTs an API call with the token, returning the parsed envelope. */
  call(
    api: APIRequestContext,
    method: string,
    input?: unknown,
  ): Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }>;
  /** Adds a folder as a dataset through the API and waits for its scan; returns its id. */
  addDataset(api: APIRequestContext, folder: string): Promise<string>;
}

/** Starts `gan-studio serve` on a random port with a fresh data folder, as a user would. */
async function startServe(dataDir: string): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(
    process.execPath,
    ['bin/gan-studio.js', 'serve', '--port', '0', '--json', '--data-dir', dataDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`gan-studio serve exited with code ${code}`)));
  });
  const { url, token } = JSON.parse(first) as { url: string; token: string };
  return { child, url, token };
}

/** Makes a user's image folder (writeImageFolder) in a temporary folder, removed after the test. */
export type ImageFolder = (count: number, size?: number) => Promise<string>;

export const test = base.extend<{ serve: ServeInstance; imageFolder: ImageFolder }>({
  imageFolder: async ({}, use) => {
    const made: string[] = [];
    await use(async (count, size) => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-images-'));
      made.push(folder);
      await writeImageFolder(folder, count, size);
      return folder;
    });
    for (const folder of made) fs.rmSync(folder, { recursive: true, force: true });
  },
  serve: async ({}, use) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-e2e-'));
    const { child, url, token } = await startServe(dataDir);
    const origin = new URL(url).origin;
    await use({
      url,
      origin,
      token,
      dataDir,
      async call(api, method, input = {}) {
        const response = await api.post(`${origin}/api/${method}`, {
          headers: { authorization: `Bearer ${token}` },
          data: input,
        });
        return (await response.json()) as Awaited<ReturnType<ServeInstance['call']>>;
      },
      async addDataset(api, folder) {
        const added = await this.call(api, 'datasets.add', { path: folder });
        expect(added.ok, added.error?.message).toBe(true);
        const id = (added.result as { id: string }).id;
        await expect
          .poll(
            async () => ((await this.call(api, 'datasets.get', { id })).result as { status: string }).status,
          )
          .toBe('ready');
        return id;
      },
    });
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  },
});

export { expect } from '@playwright/test';
