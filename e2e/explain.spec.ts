import { test, expect, type ImageFolder, type ServeInstance } from './fixtures.js';
import { StudioPage } from './pages/studio-page.js';
import { TrainPage } from './pages/train-page.js';
import type { APIRequestContext, Page } from '@playwright/test';

/** The form's fields, in order, each with a "?" help button after its label. */
const fields = [
  'Dataset',
  'Preset',
  'Model',
  'Resolution',
  'Steps',
  'Batch size',
  'Loss',
  'Learning rate G',
  'Learning rate D',
  'DiffAugment',
  'Width',
  'Latent size',
  'EMA decay',
  'Crop',
  'Flip',
  'Seed',
  'Sample every',
  'Backend',
  'CPU threads',
];

/**
 * Runs `body` on the Train view with a fresh dataset of 24 images (small: the warning test
 * relies on it); the fixture removes the image folder afterwards.
 */
async function onTrainView(
  {
    page,
    serve,
    request,
    imageFolder,
  }: { page: Page; serve: ServeInstance; request: APIRequestContext; imageFolder: ImageFolder },
  body: (view: { studio: StudioPage; train: TrainPage; datasetId: string }) => Promise<void>,
): Promise<void> {
  const folder = await imageFolder(24, 32);
  const datasetId = await serve.addDataset(request, folder);
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  await studio.goTo('Train');
  await body({ studio, train: new TrainPage(page), datasetId });
}

/** Small enough to calibrate and train in seconds on one core. */
async function tinySettings(train: TrainPage): Promise<void> {
  await train.setField('Steps', '100000');
  await train.setField('Batch size', '4');
  await train.setField('Width', '0.125');
  await train.setField('Latent size', '16');
  await train.setField('Backend', 'wasm');
}

test('train form: every field has help reachable by keyboard, the losses are explained, and the time shows before starting', ({
  page,
  serve,
  request,
  imageFolder,
}) =>
  onTrainView({ page, serve, request, imageFolder }, async ({ train }) => {
    await expect(page.getByTestId('preset-purpose')).toContainText('does this folder train at all');

    // Tab from the first field through the form: every field's help button comes up in turn.
    await train.field('Dataset').focus();
    const reached: string[] = [];
    for (let i = 0; i < 60 && reached.length < fields.length - 1; i++) {
      await page.keyboard.press('Tab');
      const name = await train.focusedName();
      if (name.startsWith('Help: ')) reached.push(name.slice('Help: '.length));
    }
    expect(reached).toEqual(fields.slice(1));
    // The first field's help comes just before it.
    await train.field('Dataset').focus();
    await page.keyboard.press('Shift+Tab');
    expect(await train.focusedName()).toBe('Help: Dataset');

    // Shift+Tab back to a help button, Enter opens its text, which also describes the field.
    await train.field('Width').focus();
    await page.keyboard.press('Shift+Tab');
    expect(await train.focusedName()).toBe('Help: Width');
    const help = page.locator('#field-width-help');
    await expect(help).toBeHidden();
    await page.keyboard.press('Enter');
    await expect(help).toBeVisible();
    await expect(help).toContainText('channels');
    await expect(train.helpButton('Width')).toHaveAttribute('aria-expanded', 'true');
    await expect(train.field('Width')).toHaveAccessibleDescription(/channels/);
    await page.keyboard.press('Space');
    await expect(help).toBeHidden();

    // The settings are proposed for this dataset and machine, each choice with its reason.
    await expect(page.getByTestId('proposal-reasons')).toContainText(
      'FastGAN-lite: 24 images is a small dataset',
    );
    await expect(page.getByTestId('proposal-reasons')).toContainText('32 px: training runs on the CPU here');
    await expect(train.field('Model')).toHaveValue('fastgan');
    await expect(train.field('Resolution')).toHaveValue('32');

    // The three losses are explained beside the form, the chosen one marked (hinge, as proposed).
    await expect(train.losses).toContainText('Hinge (chosen)');
    await train.setField('Loss', 'minimax');
    await expect(train.losses).toContainText('Original minimax (chosen)');
    await expect(train.losses).toContainText('log(1 − D(G(z)))');
    await expect(train.losses).toContainText('Hinge');

    // Crop is in the form.
    await expect(train.field('Crop').locator('option')).toHaveText([/Centre/, /Pad/, /Stretch/]);

    // The expected time, measured on the backend that will train it.
    await tinySettings(train);
    await expect(train.estimateTotal).toHaveText(/About .+ on wasm/, { timeout: 90_000 });
    await expect(train.estimate).toContainText('100,000 steps');
    await expect(page.getByText('Changed from the preset: ')).toContainText('Width');
  }));

test('help texts: one open at a time, and Escape hides it', ({ page, serve, request, imageFolder }) =>
  onTrainView({ page, serve, request, imageFolder }, async ({ train }) => {
    const widthHelp = page.locator('#field-width-help');
    const stepsHelp = page.locator('#field-steps-help');
    await train.helpButton('Width').click();
    await expect(widthHelp).toBeVisible();
    // Opening another closes the first.
    await train.helpButton('Steps').click();
    await expect(stepsHelp).toBeVisible();
    await expect(widthHelp).toBeHidden();
    await expect(train.helpButton('Width')).toHaveAttribute('aria-expanded', 'false');
    await expect(page.getByRole('form', { name: 'New run' }).locator('p.help:not([hidden])')).toHaveCount(1);
    // Escape closes it, with the focus on its button…
    await page.keyboard.press('Escape');
    await expect(stepsHelp).toBeHidden();
    await expect(train.helpButton('Steps')).toHaveAttribute('aria-expanded', 'false');
    // …or in its field.
    await train.helpButton('Width').focus();
    await page.keyboard.press('Enter');
    await expect(widthHelp).toBeVisible();
    await train.field('Width').focus();
    await page.keyboard.press('Escape');
    await expect(widthHelp).toBeHidden();
    await expect(train.field('Width')).toBeFocused();
  }));

test('a tiny dataset warns at once, live and in the history; the form remembers the settings', ({
  page,
  serve,
  request,
  imageFolder,
}) =>
  onTrainView({ page, serve, request, imageFolder }, async ({ studio, train, datasetId }) => {
    await expect(page.getByTestId('small-dataset-note')).toContainText('24 images is a small dataset');
    await tinySettings(train);
    await train.setField('Crop', 'pad');
    await train.start();

    await expect(train.status).toHaveText('running', { timeout: 60_000 });
    const warning = train.warnings.locator('article[data-code="small-dataset"]');
    await expect(warning).toBeVisible({ timeout: 60_000 });
    await expect(warning).toContainText('24 images is a small dataset for 32 px');
    await expect(warning).toContainText('DiffAugment is on for this run');
    await expect(warning).toContainText('What to try:');
    await expect(train.history.locator('li.warning')).toContainText('24 images is a small dataset');
    // The quality curve's caution: on 24 images SWD measures closeness to them.
    await expect(page.getByRole('figure', { name: /Quality: SWD/ }).getByTestId('chart-note')).toContainText(
      'not quality',
    );
    await train.button('Stop').click();
    await expect(train.status).toHaveText('stopped');

    // Back to the form in this session, then in a new one: the dataset and settings are kept.
    for (const visit of ['navigate', 'reload']) {
      if (visit === 'reload') await page.reload();
      await studio.goTo('Train');
      await expect(train.field('Width'), visit).toHaveValue('0.125');
      await expect(train.field('Batch size'), visit).toHaveValue('4');
      await expect(train.field('Crop'), visit).toHaveValue('pad');
      await expect(train.field('Dataset'), visit).toHaveValue(datasetId);
    }
  }));

test('the run page follows the newest grid, holds a scrubbed one, and its charts hover, zoom and switch axes', ({
  page,
  serve,
  request,
  imageFolder,
}) =>
  onTrainView({ page, serve, request, imageFolder }, async ({ train }) => {
    await tinySettings(train);
    // Grids every 100 steps on top of those by time: several within seconds.
    await train.setField('Sample every', '100');
    await train.start();
    await expect(train.status).toHaveText('running', { timeout: 60_000 });

    // The header and the charts move on from the same events.
    const points = async () => Number(await train.lossChart.getAttribute('data-points'));
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(20);
    for (let i = 0; i < 5; i++) {
      const { header, charted } = await page.evaluate(() => ({
        header: Number(
          /step (\d+)/.exec(document.querySelector('[data-testid=run-progress]')?.textContent ?? '')?.[1],
        ),
        charted: Number(document.querySelector('figure[aria-label="Losses"]')?.getAttribute('data-x-max')),
      }));
      expect(header - charted, `header ${header}, chart ${charted}`).toBeGreaterThanOrEqual(0);
      expect(header - charted, `header ${header}, chart ${charted}`).toBeLessThanOrEqual(10);
      await page.waitForTimeout(700);
    }

    // Each new grid shows as it arrives…
    const info = page.getByTestId('sample-info');
    const gridCount = async () => Number(/of (\d+)/.exec((await info.textContent()) ?? '')?.[1] ?? 0);
    await expect.poll(gridCount, { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
    const newest = await train.sampleGrid.getAttribute('src');
    await expect.poll(() => train.sampleGrid.getAttribute('src'), { timeout: 60_000 }).not.toBe(newest);
    // …until the timeline is scrubbed back: then that grid stays while new ones arrive.
    const timeline = page.getByTestId('sample-timeline');
    await timeline.focus();
    await page.keyboard.press('Home');
    await expect(info).toContainText('Grid 1 of');
    const first = await train.sampleGrid.getAttribute('src');
    const count = await gridCount();
    await expect.poll(gridCount, { timeout: 60_000 }).toBeGreaterThan(count);
    expect(await train.sampleGrid.getAttribute('src')).toBe(first);
    await page.getByRole('button', { name: 'Latest', exact: true }).click();
    await expect.poll(() => train.sampleGrid.getAttribute('src')).not.toBe(first);
    await expect(info).toContainText('the newest grid shows as it arrives');

    // Values on hover.
    const canvas = train.lossChart.locator('canvas');
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.4);
    // Each value as recorded, and as drawn where the smoothing moved it (as the tooltip says).
    await expect(train.lossChart).toHaveAttribute(
      'data-hover',
      /^step \d+: D loss [\d.e-]+( \(smoothed [\d.e-]+\))?, G loss [\d.e-]+( \(smoothed [\d.e-]+\))?$/,
    );
    // Zoom by dragging across, reset by the button; and by keyboard.
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.4, { steps: 5 });
    await page.mouse.up();
    await expect(train.lossChart).toHaveAttribute('data-zoomed', 'yes');
    await train.lossChart.getByRole('button', { name: 'Reset zoom' }).click();
    await expect(train.lossChart).toHaveAttribute('data-zoomed', 'no');
    await train.lossChart.getByRole('application').focus();
    await page.keyboard.press('+');
    await expect(train.lossChart).toHaveAttribute('data-zoomed', 'yes');
    await page.keyboard.press('0');
    await expect(train.lossChart).toHaveAttribute('data-zoomed', 'no');
    // Log scale and a wall-clock x for every chart.
    await page.getByRole('radio', { name: 'time of day', exact: true }).check();
    await page.getByRole('radio', { name: 'log', exact: true }).check();
    await expect(train.lossChart).toHaveAttribute('data-x-axis', 'time of day');
    await expect(train.lossChart).toHaveAttribute('data-y-scale', 'log');
    await expect(page.getByRole('figure', { name: /Quality: SWD/ })).toHaveAttribute(
      'data-x-axis',
      'time of day',
    );

    await train.button('Stop').click();
    await expect(train.status).toHaveText('stopped');
  }));
