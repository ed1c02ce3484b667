import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { StudioPage } from './pages/studio-page.js';

test('the app opens in the browser and every view is reachable', async ({ page, serve }) => {
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  await expect(studio.heading('Datasets')).toBeVisible();
  await expect(page.getByTestId('datasets-empty')).toContainText('Start with a folder of images');

  await studio.goTo('Train');
  await expect(studio.heading('Train')).toBeVisible();
  await expect(page.getByTestId('train-empty')).toBeVisible();

  await studio.goTo('Runs');
  await expect(studio.heading('Runs')).toBeVisible();
  await expect(page.getByTestId('runs-empty')).toContainText('No runs yet');

  await studio.goTo('Latent');
  await expect(page.getByTestId('latent-empty')).toBeVisible();

  // Keyboard: Alt+1 goes back to Datasets.
  await page.keyboard.press('Alt+1');
  await expect(studio.heading('Datasets')).toBeVisible();
});

test('requests without the token are refused', async ({ request, serve }) => {
  const noToken = await request.post(`${serve.origin}/api/runs.list`, { data: {} });
  expect(noToken.status()).toBe(401);
  expect((await noToken.json()).error.code).toBe('unauthorized');

  const wrongToken = await request.post(`${serve.origin}/api/runs.list`, {
    data: {},
    headers: { authorization: 'Bearer not-the-token' },
  });
  expect(wrongToken.status()).toBe(401);

  const withToken = await serve.call(request, 'runs.list');
  expect(withToken).toEqual({ ok: true, result: [] });
});

test('the WebSocket refuses a connection without the token', async ({ page, serve }) => {
  await page.goto(`${serve.origin}/`);
  const outcome = await page.evaluate(
    async (wsUrl) => {
      return await new Promise<string>((resolve) => {
        const ws = new WebSocket(wsUrl);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      });
    },
    `${serve.origin.replace('http', 'ws')}/ws`,
  );
  expect(outcome).toBe('refused');
});

test('another page on the same host cannot drive the API or hear its events', async ({
  page,
  serve,
  request,
}) => {
  // The user has the studio open, so the browser holds its cookie.
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  // A page served from another port of 127.0.0.1: the same site, so the cookie is sent to the
  // studio with its requests.
  const other = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>other</title>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    const otherPort = (other.address() as AddressInfo).port;
    await page.goto(`http://127.0.0.1:${otherPort}/`);
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-victim-'));
    const outcome = await page.evaluate(
      async ({ origin, folder }) => {
        // What a page can send without a CORS preflight: a no-cors text/plain POST.
        await fetch(`${origin}/api/datasets.add`, {
          method: 'POST',
          mode: 'no-cors',
          credentials: 'include',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ path: folder }),
        });
        return await new Promise<string>((resolve) => {
          const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws`);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        });
      },
      { origin: serve.origin, folder },
    );
    expect(outcome).toBe('refused');
    expect(await serve.call(request, 'datasets.list')).toEqual({ ok: true, result: [] });
    fs.rmSync(folder, { recursive: true, force: true });

    // The studio's own page still works: it lists (empty) datasets through the same API.
    await studio.open(serve.url);
    await expect(page.getByTestId('datasets-empty')).toBeVisible();
  } finally {
    other.close();
  }
});
