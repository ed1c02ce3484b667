import fs from 'node:fs';
import type { Locator } from '@playwright/test';
import { test, expect } from './fixtures.js';
import { StudioPage } from './pages/studio-page.js';
import { TrainPage } from './pages/train-page.js';
import { RunsPage } from './pages/runs-page.js';
import { ComparePage } from './pages/compare-page.js';
import { ContinueDialog } from './pages/continue-dialog.js';
import { tinyRun as tiny, trainToEnd } from './tiny-runs.js';

test('runs: two runs, compare them, see what differs and their curves, then continue one', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(16, 32);
  const datasetId = await serve.addDataset(request, folder);
  const started = [];
  for (const config of [tiny, { ...tiny, lrD: 0.0004 }]) {
    const run = await serve.call(request, 'training.start', { datasetId, config });
    expect(run.ok).toBe(true);
    started.push(run.result as { id: string; name: string });
  }
  const [a, b] = started as [{ id: string; name: string }, { id: string; name: string }];
  expect(a.name).not.toBe(b.name);
  await expect
    .poll(
      async () =>
        ((await serve.call(request, 'runs.list')).result as { status: string }[]).map((r) => r.status),
      {
        timeout: 90_000,
      },
    )
    .toEqual(['finished', 'finished']);

  const studio = new StudioPage(page);
  await studio.open(serve.url);
  await studio.goTo('Runs');
  const runs = new RunsPage(page);
  await expect(runs.row(a.name)).toContainText('finished');
  await expect(runs.row(b.name)).toContainText('0.0004');
  await runs.sortBy('Name');
  expect(await runs.names()).toEqual([a.name, b.name].sort((x, y) => x.localeCompare(y)));
  await runs.search.fill('#2');
  await expect.poll(() => runs.names()).toEqual([b.name]);
  await runs.search.fill('');
  await expect.poll(() => runs.names()).toHaveLength(2);

  await runs.select(a.name);
  await runs.select(b.name);
  await runs.compare();
  const compare = new ComparePage(page);
  await expect(compare.runs.locator('tbody tr')).toHaveCount(2);
  // Exactly the differing setting is highlighted.
  await expect.poll(() => compare.differingFields()).toEqual(['lrD']);
  await expect(page.getByTestId('differing-count')).toHaveText(/^1 of \d+ settings differ$/);
  await compare.showOnlyDifferences();
  await expect(compare.settings.locator('tbody tr')).toHaveCount(1);
  // Both runs overlaid on every chart: 6 points each (steps 2 … 12).
  const loss = compare.chart('D loss');
  await expect(loss).toHaveAttribute('data-series', '2');
  await expect(loss).toHaveAttribute('data-points', '12');
  await compare.xAxis('training time');
  await expect(loss).toHaveAttribute('data-points', '12');
  await expect(loss).toHaveAttribute('data-x-axis', 'training time');
  await page.getByRole('radio', { name: 'log', exact: true }).check();
  await expect(loss).toHaveAttribute('data-y-scale', 'log');

  // One slider moves both sample grids to the same step.
  await expect(compare.samples).toHaveCount(2);
  await compare.sampleSlider.focus();
  await page.keyboard.press('Home');
  await expect(compare.samples.first()).toHaveAttribute('alt', /step 0$/);
  await expect(compare.samples.last()).toHaveAttribute('alt', /step 0$/);
  await page.keyboard.press('ArrowRight');
  await expect(compare.samples.last()).toHaveAttribute('alt', /step 4$/);

  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export metrics CSV' }).click(),
  ]);
  expect(csv.suggestedFilename()).toBe('compare-2-runs.csv');
  const text = fs.readFileSync((await csv.path())!, 'utf8');
  expect(text.split('\n')[0]).toContain('run_id,run_name,step,seconds');
  // A header, then per run its loss points (steps 2 to 12) and step 0, where the first sample
  // grid's diversity was measured.
  expect(text.trim().split('\n')).toHaveLength(15);

  // Open the first run from the comparison and continue it with more steps and a new rate.
  await compare.runs.getByRole('link', { name: a.name }).click();
  const train = new TrainPage(page);
  await expect(train.status).toHaveText('finished');
  await expect(train.progress).toContainText('finished in');
  await expect(page.getByTestId('run-dataset')).toContainText('16 images');
  await page.getByRole('button', { name: 'Continue…' }).click();
  const dialog = new ContinueDialog(page);
  await dialog.set('Total steps', '20');
  await dialog.set('Learning rate G', '0.001');
  await expect(dialog.dialog.getByTestId('continue-summary')).toContainText('lrG 0.0002 → 0.001');
  await dialog.submit();
  await expect(dialog.dialog).toBeHidden();
  await expect(train.status).toHaveText('finished', { timeout: 90_000 });
  await expect(train.progress).toContainText('step 20 / 20');
  await expect(train.progress).not.toContainText('images/s');
  await expect(train.progress).not.toContainText('ETA');
  await expect(page.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('value', '20');
  await expect(page.getByTestId('run-history')).toContainText('Continued from step 12');
  await expect(page.getByTestId('run-history')).toContainText('Learning rate G 0.0002 → 0.001');
  await expect(page.getByTestId('checkpoints')).toContainText('step 20');
  // A rename made elsewhere shows at once on the open page.
  await serve.call(request, 'runs.update', { id: a.id, name: 'renamed elsewhere' });
  await expect(page.getByTestId('run-name')).toHaveText('renamed elsewhere');
  const run = (await serve.call(request, 'runs.get', { id: a.id })).result as {
    config: { lrG: number; steps: number };
  };
  expect(run.config).toMatchObject({ lrG: 0.001, steps: 20 });
});

test('runs list: a run this studio trains shows its step, trained time and losses as it trains', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(16, 32);
  const datasetId = await serve.addDataset(request, folder);
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  await studio.goTo('Runs');
  await expect(page.getByTestId('runs-empty')).toBeVisible();

  const started = await serve.call(request, 'training.start', {
    datasetId,
    name: 'long one',
    config: { ...tiny, steps: 100_000 },
  });
  expect(started.ok).toBe(true);
  const runs = new RunsPage(page);
  await expect(runs.row('long one')).toContainText('running');
  const step = async () =>
    Number(/^(\d+) \//.exec((await runs.cell('long one', 'steps').textContent()) ?? '')?.[1]);
  // The row follows the run without a reload: its step keeps moving, its time and losses fill in.
  await expect.poll(step, { timeout: 60_000 }).toBeGreaterThanOrEqual(10);
  const seen = await step();
  await expect.poll(step, { timeout: 60_000 }).toBeGreaterThan(seen + 5);
  await expect(runs.cell('long one', 'duration')).not.toHaveText('0 s');
  await expect(runs.cell('long one', 'dLoss')).not.toHaveText('—');
  await expect(runs.row('long one')).toContainText('running');

  await serve.call(request, 'training.stop', { id: (started.result as { id: string }).id });
  await expect(runs.row('long one')).toContainText('stopped');
});

test('runs list: fits a 1400 px window, and in a 1000 px one scrolls in its own box, every column reachable', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(16, 32);
  const datasetId = await serve.addDataset(request, folder);
  const { name } = await trainToEnd(serve, request, { datasetId, config: { ...tiny, steps: 4 } });

  const studio = new StudioPage(page);
  const runs = new RunsPage(page);
  /** Whether a header lies wholly inside the table's box and the window. */
  const shown = async (header: Locator) => {
    const [cell, box] = [await header.boundingBox(), await runs.tableBox.boundingBox()];
    const width = page.viewportSize()!.width;
    return (
      cell !== null &&
      box !== null &&
      cell.x >= box.x - 1 &&
      cell.x + cell.width <= Math.min(box.x + box.width, width) + 1
    );
  };

  await page.setViewportSize({ width: 1400, height: 900 });
  await studio.open(`${serve.url}#/runs`);
  await expect(runs.row(name)).toContainText('finished');
  // Wide enough: every column in view, none cut off, nothing to scroll.
  for (const header of await runs.headers().all())
    expect(await shown(header), await header.innerText()).toBe(true);
  const created = runs.cell(name, 'created');
  expect(await created.evaluate((td) => td.scrollWidth <= td.clientWidth)).toBe(true);
  expect(await runs.tableBox.evaluate((box) => box.scrollWidth <= box.clientWidth)).toBe(true);

  await page.setViewportSize({ width: 1000, height: 800 });
  // Too narrow for every column: the table scrolls inside its box, which stays in the window.
  const box = (await runs.tableBox.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(1000);
  const last = runs.headers().last();
  await expect(last).toHaveText(/Created/);
  expect(await shown(last)).toBe(false);
  // By keyboard: focus the table's box, then arrow right until the last column is in view,
  // with the run's name still beside it.
  await expect(runs.tableBox).toHaveAccessibleName('Runs table');
  await runs.tableBox.focus();
  await expect(runs.tableBox).toBeFocused();
  for (let i = 0; i < 60 && !(await shown(last)); i++) await page.keyboard.press('ArrowRight');
  expect(await shown(last)).toBe(true);
  expect(await shown(runs.headers().nth(1))).toBe(true);
  await expect(runs.row(name).getByRole('link', { name })).toBeInViewport();
});
