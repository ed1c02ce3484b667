import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { test, expect, type ServeInstance } from './fixtures.js';
import { StudioPage } from './pages/studio-page.js';
import { ComparePage } from './pages/compare-page.js';
import { runStatus, tinyRun as tiny, trainToEnd } from './tiny-runs.js';
import { closerAtEqualTime } from '../shared/equal-time.js';
import type { SeriesSet } from '../shared/types.js';

const qualityTitle = 'Quality: SWD ×10³ (lower is closer)';
/** The quality curve's colour on the run page (RunView). */
const qualityColour = '#0891b2';

/**
 * A run with two quality points: SWD is measured when a run finishes, so finishing it, then
 * continuing it for a few more steps, gives two.
 */
async function runWithTwoQualityPoints(
  serve: ServeInstance,
  request: APIRequestContext,
  datasetId: string,
  name: string,
): Promise<string> {
  const { id } = await trainToEnd(serve, request, { datasetId, name, config: tiny });
  const continued = await serve.call(request, 'training.continue', { id, changes: { steps: 18 } });
  expect(continued.ok, continued.error?.message).toBe(true);
  await expect
    .poll(
      async () => {
        const run = await runStatus(serve, request, id);
        return run.status === 'finished' && run.step >= 18;
      },
      { timeout: 90_000 },
    )
    .toBe(true);
  return id;
}

/**
 * Pixels of a colour in a chart's plot, above its x axis and legend (the legend's swatch is in
 * the series' colour too).
 */
function pixelsOf(chart: Locator, hex: string): Promise<number> {
  return chart.locator('canvas').evaluate((canvas: HTMLCanvasElement, colour) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
    const above = canvas.height - Math.round(70 * devicePixelRatio);
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, above).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i]! - r!) < 8 && Math.abs(data[i + 1]! - g!) < 8 && Math.abs(data[i + 2]! - b!) < 8)
        n++;
    }
    return n;
  }, hex);
}

function tickLabels(chart: Locator): Promise<string[]> {
  return chart.getAttribute('data-x-ticks').then((t) => (t ? t.split(' | ') : []));
}

/**
 * Moves the pointer across a chart from its right edge leftwards until it shows values, and
 * returns them: those at the rightmost point of any series.
 */
async function hoverFromRight(page: Page, chart: Locator): Promise<string> {
  await chart.scrollIntoViewIfNeeded();
  const box = (await chart.locator('canvas').boundingBox())!;
  for (let x = box.x + box.width - 1; x > box.x + box.width / 2; x -= 2) {
    await page.mouse.move(x, box.y + box.height * 0.4);
    const shown = await chart.getAttribute('data-hover');
    if (shown) return shown;
  }
  return '';
}

/** A value as the charts write it (format.ts num). */
const num = (value: number) => String(Number(value.toPrecision(4)));

test('run page: a lone quality point is drawn, and every x axis labels each tick once', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(16, 32);
  const datasetId = await serve.addDataset(request, folder);
  const { id } = await trainToEnd(serve, request, { datasetId, name: 'short', config: tiny });

  const studio = new StudioPage(page);
  await studio.open(`${serve.url}#/train/${id}`);
  const quality = page.getByRole('figure', { name: qualityTitle, exact: true });
  const losses = page.getByRole('figure', { name: 'Losses', exact: true });
  // A 12-step run has one quality point, measured as it finished.
  await expect(quality).toHaveAttribute('data-points', '1');
  await expect.poll(() => pixelsOf(quality, qualityColour)).toBeGreaterThan(4);

  for (const kind of ['step', 'training time', 'time of day'] as const) {
    await page.getByRole('radio', { name: kind, exact: true }).check();
    await expect(quality).toHaveAttribute('data-x-axis', kind);
    for (const chart of [quality, losses]) {
      await expect.poll(() => tickLabels(chart)).not.toEqual([]);
      const labels = await tickLabels(chart);
      expect(new Set(labels).size, `${kind}: ${labels.join(', ')}`).toBe(labels.length);
      if (kind === 'step') for (const label of labels) expect(label).toMatch(/^\d+$/);
    }
  }

  // Zoomed into a few steps, the step axis still ticks whole steps, each once.
  await page.getByRole('radio', { name: 'step', exact: true }).check();
  await losses.getByRole('application').focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('+');
  await expect(losses).toHaveAttribute('data-zoomed', 'yes');
  const zoomed = await tickLabels(losses);
  expect(new Set(zoomed).size, zoomed.join(', ')).toBe(zoomed.length);
  for (const label of zoomed) expect(label).toMatch(/^\d+$/);
});

test('compare: a run shows no value past its last step, and quality is drawn as measured', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(16, 32);
  const datasetId = await serve.addDataset(request, folder);
  const { id: short } = await trainToEnd(serve, request, { datasetId, name: 'short', config: tiny });
  const long = await runWithTwoQualityPoints(serve, request, datasetId, 'long');
  const stats = (
    (await serve.call(request, 'runs.get', { id: long })).result as {
      stats: { name: string; last: number; lastStep: number }[];
    }
  ).stats;
  const swd = stats.find((s) => s.name === 'swd')!;

  const studio = new StudioPage(page);
  await studio.open(`${serve.url}#/compare/${short},${long}`);
  const compare = new ComparePage(page);
  const loss = compare.chart('D loss');
  const quality = compare.chart(qualityTitle);
  await expect(loss).toHaveAttribute('data-series', '2');
  await expect(quality).toHaveAttribute('data-points', '3');

  // At the long run's last step, far past the short run's 12, only the long run has a value (its
  // loss smoothed, as losses are everywhere).
  expect(await hoverFromRight(page, loss)).toMatch(/^step \d+: long [^,]+$/);
  // The long run's last quality point as measured (not smoothed, as on the run page), and none
  // of the short run's.
  expect(await hoverFromRight(page, quality)).toBe(`step ${swd.lastStep}: long ${num(swd.last)}`);

  // Which run is closer at equal training time: both read at the same time from their curves.
  const series = (
    await serve.call(request, 'runs.series', { ids: [short, long], names: ['swd'], maxPoints: 2000 })
  ).result as SeriesSet;
  const reading = closerAtEqualTime(
    [short, long].map((id) => {
      const columns = series.runs.find((r) => r.runId === id)!.metrics['swd']!;
      return { id, seconds: columns.seconds, swd: columns.value };
    }),
  );
  const verdict = page.getByTestId('equal-time');
  if (reading === null) {
    await expect(verdict).toContainText('shows once two runs have quality measurements');
  } else {
    const names = { [short]: 'short', [long]: 'long' };
    await expect(verdict).toContainText(
      reading.closer === null ? 'about as close' : `${names[reading.closer]} is closer to its images`,
    );
    for (const r of reading.readings)
      await expect(verdict).toContainText(`${names[r.id]}: SWD ${num(r.swd)}`);
  }
});
