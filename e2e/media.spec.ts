import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './fixtures.js';

/**
 * What a dataset's files can do in the studio's browser session: nothing. A drawing with a script
 * in it, opened as a page at its media URL, must not reach the API the session cookie unlocks.
 */
test('a script inside a dataset’s SVG does not run in the studio’s origin', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(2, 32);
  // Were the script to run, it would register this folder as a dataset and put the API's
  // answer in the page's title: both can be looked for afterwards.
  const marker = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-marker-'));
  const script = [
    `fetch('/api/datasets.add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: ${JSON.stringify(marker)} }) })`,
    `fetch('/api/runs.list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.text()).then((t) => { document.title = 'pwned ' + t; })`,
  ].join(';');
  fs.writeFileSync(
    path.join(folder, 'xss.svg'),
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/><script>${script}</script></svg>`,
  );
  try {
    const id = await serve.addDataset(request, folder);
    const files = (await serve.call(request, 'datasets.files', { id })).result as {
      files: { id: number; relPath: string; status: string }[];
    };
    const svg = files.files.find((f) => f.relPath === 'xss.svg');
    expect(svg?.status).toBe('used');

    // The studio's own session: its page sets the cookie the API accepts.
    await page.goto(serve.url);
    const apiCalls: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) apiCalls.push(r.url());
    });
    const response = await page.goto(`${serve.origin}/media/datasets/${id}/files/${svg!.id}`);
    expect(response?.status()).toBe(200);
    await page.waitForLoadState('load');
    // Give a script that did run the time to be heard from.
    await page.waitForTimeout(1500);
    expect(apiCalls).toEqual([]);
    expect(await page.title()).not.toContain('pwned');
    const datasets = (await serve.call(request, 'datasets.list')).result as { path: string }[];
    expect(datasets.map((d) => d.path)).not.toContain(fs.realpathSync(marker));
    expect(datasets).toHaveLength(1);
    // Why: it came as a picture of the drawing, in a sandbox that runs no script whatever it is.
    expect(response?.headers()['content-type']).toBe('image/png');
    expect(response?.headers()['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
  } finally {
    fs.rmSync(marker, { recursive: true, force: true });
  }
});
