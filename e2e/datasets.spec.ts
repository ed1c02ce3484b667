import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { StudioPage } from './pages/studio-page.js';
import { DatasetsPage } from './pages/datasets-page.js';

test('add a folder: progress, report, thumbnail grid and the skipped list', async ({
  page,
  serve,
  imageFolder,
}) => {
  const folder = await imageFolder(1200, 32);
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  const datasets = new DatasetsPage(page);
  await datasets.addFolder(folder);

  await expect(datasets.scanProgress()).toBeVisible();
  await expect(datasets.report).toContainText('Usable: 1200 of 1202 files', { timeout: 60_000 });
  // Prepared for training at the default 32 px during the scan.
  await expect(page.getByTestId('dataset-caches')).toContainText('32 px, centre crop (1200 images');
  await expect(datasets.grid.locator('img').first()).toBeVisible();
  const thumb = datasets.grid.locator('img').first();
  await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  // Virtualised: far fewer images in the page than in the dataset.
  expect(await datasets.grid.locator('img').count()).toBeLessThan(300);

  await datasets.showSkipped();
  await expect(datasets.skippedList).toContainText('README.txt');
  await expect(datasets.skippedList).toContainText('broken.jpg');
});

test('a folder being scanned shows its counts so far, then its final counts', async ({
  page,
  serve,
  imageFolder,
}) => {
  const folder = await imageFolder(1500, 32);
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  const datasets = new DatasetsPage(page);
  await datasets.addFolder(folder);
  // While its card still says scanning, the counts are those of the files scanned so far.
  const scanning = page.getByRole('listitem').filter({ has: page.getByText('scanning', { exact: true }) });
  await expect(scanning.getByTestId('dataset-counts')).toHaveText(
    /^[1-9]\d* images · \d+ skipped · \d+ duplicates so far$/,
  );
  await expect(datasets.counts).toHaveText('1500 images · 2 skipped · 0 duplicates', { timeout: 60_000 });
});

test('a path that does not exist gets a clear message and no dataset', async ({ page, serve, request }) => {
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  const datasets = new DatasetsPage(page);
  await datasets.addFolder('/no/such/folder/anywhere');
  await expect(page.getByRole('alert')).toContainText(/does not exist|not found|No folder/i);
  expect(await serve.call(request, 'datasets.list')).toEqual({ ok: true, result: [] });
});

test('in the browser, Choose folder… copies the picked folder in and adds it', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(10, 32);
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  const datasets = new DatasetsPage(page);
  await datasets.picker.setInputFiles(folder);
  await expect(datasets.report).toContainText('Usable: 10 of 12 files', { timeout: 60_000 });
  await expect(datasets.grid.locator('img')).toHaveCount(10);

  // The studio owns the copy: removing the dataset removes it, never the user's folder.
  const listed = (await serve.call(request, 'datasets.list')).result as { id: string; path: string }[];
  expect(listed).toHaveLength(1);
  expect(listed[0]!.path.startsWith(path.join(serve.dataDir, 'imports'))).toBe(true);
  await serve.call(request, 'datasets.remove', { id: listed[0]!.id });
  await expect.poll(() => fs.existsSync(listed[0]!.path)).toBe(false);
  // 5 PNGs, the nested folder of 5 JPEGs, README.txt and broken.jpg: all still there.
  expect(fs.readdirSync(folder).length).toBe(8);
});
