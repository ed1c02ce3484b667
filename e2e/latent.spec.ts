import fs from 'node:fs';
import sharp from 'sharp';
import type { APIRequestContext } from '@playwright/test';
import { test, expect, type ServeInstance } from './fixtures.js';
import { StudioPage } from './pages/studio-page.js';
import { LatentPage } from './pages/latent-page.js';
import { tinyRun, trainToEnd } from './tiny-runs.js';

/** The latent tests need a generator, not curves: a few steps do. */
const tiny = { ...tinyRun, steps: 8 };

test('latent explorer: open a run, pick two samples, scrub the path, export a GIF', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(12, 32);
  const datasetId = await serve.addDataset(request, folder);
  const { id: runId } = await trainToEnd(serve, request, { datasetId, name: 'walker', config: tiny });

  // Open the run from its page, as a user finds it.
  const studio = new StudioPage(page);
  await studio.open(`${serve.url}#/train/${runId}`);
  await page.getByRole('link', { name: 'Explore its latent space' }).click();
  const latent = new LatentPage(page);
  await expect(page.getByRole('combobox', { name: 'Run' })).toHaveValue(runId);
  await expect(latent.gridSource).toContainText('Step 8, EMA generator, 32 px');
  await expect(latent.samples).toHaveCount(16);
  await expect(latent.samples.first().locator('img')).toHaveAttribute('src', /^data:image\/png;base64,/);

  // Two samples make a path: 12 frames per segment and the last seed, 13 frames.
  await latent.pick(3);
  await latent.pick(7);
  await expect(latent.pathSeeds).toContainText('3');
  await expect(latent.pathSeeds).toContainText('7');
  await expect(page.getByRole('button', { name: 'Seed 7, in the path at 2' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(latent.strip).toHaveCount(13);
  await expect(latent.position).toHaveText('Frame 1 of 13: seed 3');
  // The first frame is seed 3's own sample.
  const seed3 = await page
    .getByRole('button', { name: /^Seed 3,/ })
    .locator('img')
    .getAttribute('src');
  await expect(latent.frame).toHaveAttribute('src', seed3!);

  // Scrub with the keyboard.
  await latent.slider.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(latent.position).toHaveText('Frame 4 of 13: seed 3 → 7, 25% of the way');
  await expect(latent.frame).not.toHaveAttribute('src', seed3!);
  await page.keyboard.press('End');
  await expect(latent.position).toHaveText('Frame 13 of 13: seed 7');
  // Lerp instead of slerp: the same ends, another path.
  await page.getByRole('radio', { name: 'lerp', exact: true }).check();
  await expect(latent.strip).toHaveCount(13);

  // Play moves along by itself; pause stops it.
  await page.getByRole('button', { name: 'Play' }).click();
  await expect(latent.position).not.toHaveText('Frame 13 of 13: seed 7');
  await page.getByRole('button', { name: 'Pause' }).click();

  await page.getByRole('combobox', { name: 'Size' }).selectOption('2');
  await latent.exportAs('GIF');
  const item = latent.exports.getByRole('listitem').first();
  await expect(item).toContainText('GIF');
  await expect(item).toContainText('13 frames, 64×64 px');
  const link = item.getByRole('link', { name: /^Download / });
  const href = await link.getAttribute('href');
  // The page downloads it through the studio's media route, with its session cookie.
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toMatch(/^\d{8}-\d{6}-\d{3}-walker-step8-walk-lerp-3-7\.gif$/);
  const gif = fs.readFileSync((await download.path())!);
  expect(await sharp(gif, { animated: true }).metadata()).toMatchObject({
    format: 'gif',
    pages: 13,
    width: 64,
  });
  expect(href).toMatch(/^\/media\/exports\//);

  // A generated data set of 20 images, then browsed as a dataset.
  await page.getByRole('spinbutton', { name: 'Images' }).fill('20');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(page.getByTestId('generation-result')).toContainText('Wrote 20 images and manifest.json');
  await page.getByRole('button', { name: 'Add as dataset' }).click();
  await page.getByRole('link', { name: 'Open the dataset' }).click();
  // 20 images; the set's manifest is the studio's, not a file of the set to report as skipped.
  await expect(page.getByTestId('dataset-report')).toContainText('Usable: 20 of 20 files');
});

/** Trains a tiny run to the end; returns its id. */
async function trainedRun(
  serve: ServeInstance,
  request: APIRequestContext,
  datasetId: string,
  name: string,
): Promise<string> {
  return (await trainToEnd(serve, request, { datasetId, name, config: tiny })).id;
}

test("latent explorer: a set's progress shows; a run's results stay with it; the run and path stay for the session", async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(12, 32);
  const datasetId = await serve.addDataset(request, folder);
  const first = await trainedRun(serve, request, datasetId, 'first');
  const second = await trainedRun(serve, request, datasetId, 'second');

  const studio = new StudioPage(page);
  await studio.open(`${serve.url}#/latent/${second}`);
  const latent = new LatentPage(page);
  await expect(latent.samples).toHaveCount(16);
  await latent.recordProgress();
  await latent.generate(200);
  await expect(latent.generationResult).toContainText('Wrote 200 images', { timeout: 60_000 });
  // The count moved on the way there, with a rate and a time left.
  const counts = (await latent.progressSeen()).flatMap((text) => {
    const m = /^(\d+) \/ 200 images · [\d.]+ images\/s · ETA /.exec(text);
    return m ? [Number(m[1])] : [];
  });
  expect(
    counts.some((n) => n > 0 && n < 200),
    (await latent.progressSeen()).join('\n'),
  ).toBe(true);

  // Another run (not the one the view opens by default, the newest): the set is none of its business.
  await latent.chooseRun('first');
  await expect(latent.runSelect).toHaveValue(first);
  await expect(latent.gridSource).toContainText('Step 8');
  await expect(latent.generationResult).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Add as dataset' })).toHaveCount(0);

  // A path on it, then away and back through the navigation: the run and the path are still there.
  await latent.pick(3);
  await latent.pick(7);
  await expect(latent.strip).toHaveCount(13);
  await latent.slider.focus();
  await page.keyboard.press('ArrowRight');
  await expect(latent.position).toHaveText('Frame 2 of 13: seed 3 → 7, 8% of the way');
  await studio.goTo('Runs');
  await expect(studio.heading('Runs')).toBeVisible();
  await studio.goTo('Latent');
  await expect(latent.runSelect).toHaveValue(first);
  await expect(latent.pathSeeds).toContainText('3');
  await expect(latent.pathSeeds).toContainText('7');
  await expect(latent.strip).toHaveCount(13);
  await expect(latent.position).toHaveText('Frame 2 of 13: seed 3 → 7, 8% of the way');

  // Back on the run the set was made from, it shows again.
  await latent.chooseRun('second');
  await expect(latent.generationResult).toContainText('Wrote 200 images');
});

test('latent explorer: a set that ends before its start is answered shows as ended, not stuck at 0', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(12, 32);
  const datasetId = await serve.addDataset(request, folder);
  await trainedRun(serve, request, datasetId, 'walker');

  const studio = new StudioPage(page);
  await studio.open(`${serve.url}#/latent`);
  const latent = new LatentPage(page);
  await expect(latent.samples).toHaveCount(16);
  // The start's answer is held back until the set is written: its events all come first.
  await page.route('**/api/latent.generate', async (route) => {
    const response = await route.fetch();
    await expect
      .poll(
        async () =>
          ((await serve.call(request, 'latent.jobs')).result as { status: string }[]).map((j) => j.status),
        { timeout: 60_000 },
      )
      .toEqual(['finished']);
    await route.fulfill({ response });
  });
  const answered = page.waitForResponse('**/api/latent.generate');
  await latent.generate(200);
  await expect(latent.generationResult).toContainText('Wrote 200 images', { timeout: 60_000 });
  await answered;
  // The late answer (running, 0 done) must not take the set back.
  await page.waitForTimeout(500);
  await expect(latent.generationResult).toContainText('Wrote 200 images');
  await expect(latent.generationProgress).toHaveCount(0);
});
