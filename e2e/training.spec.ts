import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './fixtures.js';
import { writeImageFolder } from './image-folder.js';
import { StudioPage } from './pages/studio-page.js';
import { TrainPage } from './pages/train-page.js';

test('train: start a run, watch the chart and grid update, pause, resume, stop', async ({
  page,
  serve,
  request,
}) => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-train-'));
  try {
    await writeImageFolder(folder, 24, 32);
    await serve.addDataset(request, folder);

    const studio = new StudioPage(page);
    await studio.open(serve.url);
    await studio.goTo('Train');
    const train = new TrainPage(page);
    await train.setField('Resolution', '32');
    await train.setField('Steps', '100000');
    await train.setField('Batch size', '4');
    await train.setField('Width', '0.125');
    await train.setField('Latent size', '16');
    await train.setField('Sample every', '5');
    await train.setField('Backend', 'wasm');
    await train.start();

    await expect(train.status).toHaveText('running', { timeout: 60_000 });
    await expect(train.sampleGrid).toBeVisible({ timeout: 60_000 });
    const firstSample = await train.sampleGrid.getAttribute('src');
    await expect.poll(() => train.sampleGrid.getAttribute('src'), { timeout: 60_000 }).not.toBe(firstSample);
    await expect.poll(() => train.step(), { timeout: 60_000 }).toBeGreaterThan(10);
    // The loss chart grows as metrics stream in.
    await expect(train.lossChart.locator('canvas')).toBeVisible();
    const points = async () => Number(await train.lossChart.getAttribute('data-points'));
    const before = await points();
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(before);

    await train.button('Pause').click();
    await expect(train.status).toHaveText('paused');
    const pausedAt = await train.step();

    await train.button('Resume').click();
    await expect(train.status).toHaveText('running');
    await expect.poll(() => train.step(), { timeout: 60_000 }).toBeGreaterThan(pausedAt);

    await train.button('Stop').click();
    await expect(train.status).toHaveText('stopped');

    await studio.goTo('Runs');
    const table = page.getByTestId('runs-table');
    await expect(table).toContainText('stopped');

    // Rows follow what is written through the API.
    const runs = (await serve.call(request, 'runs.list')).result as { id: string }[];
    expect(runs).toHaveLength(1);
    await serve.call(request, 'runs.update', {
      id: runs[0]!.id,
      name: 'renamed through the API',
      tags: ['api'],
    });
    await page.reload();
    await expect(table).toContainText('renamed through the API');
    await expect(table).toContainText('api');
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
