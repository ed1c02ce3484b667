import { spawn } from 'node:child_process';
import { test, expect } from './fixtures.js';
import { RunsPage } from './pages/runs-page.js';
import { StudioPage } from './pages/studio-page.js';
import { TrainPage } from './pages/train-page.js';

test('train: start a run, watch the chart and grid update, pause, resume, stop', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(24, 32);
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
});

test('a run started in a terminal shows in the open app and follows its training live', async ({
  page,
  serve,
  imageFolder,
}) => {
  const folder = await imageFolder(24, 32);
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  await studio.goTo('Runs');

  // Another process on the same data folder, as a user would type it.
  const cli = spawn(
    process.execPath,
    [
      'bin/gan-studio.js',
      'train',
      '--data',
      folder,
      '--data-dir',
      serve.dataDir,
      '--name',
      'From the terminal',
      ...['--resolution', '32', '--steps', '100000', '--batch-size', '4', '--width', '0.125'],
      ...['--latent-size', '16', '--metrics-every', '2', '--backend', 'wasm', '--threads', '1'],
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => cli.on('exit', resolve));
  try {
    const runs = new RunsPage(page);
    // No reload: the list hears of the run from the app's own events.
    await expect(runs.row('From the terminal')).toBeVisible({ timeout: 60_000 });
    await page.getByRole('link', { name: 'From the terminal', exact: true }).click();
    const train = new TrainPage(page);
    await expect(train.status).toHaveText('running', { timeout: 60_000 });
    const points = async () => Number(await train.lossChart.getAttribute('data-points'));
    const before = await points();
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(before);
    await expect.poll(() => train.step(), { timeout: 60_000 }).toBeGreaterThan(0);
  } finally {
    cli.kill('SIGKILL');
    await exited;
  }
});

test('the Train page, while a run trains, links to it above the new run form', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(24, 32);
  const datasetId = await serve.addDataset(request, folder);
  const studio = new StudioPage(page);
  await studio.open(serve.url);
  await studio.goTo('Train');
  await expect(page.getByRole('form', { name: 'New run' })).toBeVisible();
  const notice = page.getByRole('region', { name: 'Training now' });
  await expect(notice).toHaveCount(0);

  const started = await serve.call(request, 'training.start', {
    datasetId,
    name: 'under way',
    config: { resolution: 32, steps: 100_000, batchSize: 4, width: 0.125, latentSize: 16, backend: 'wasm' },
  });
  const id = (started.result as { id: string }).id;
  // Started elsewhere (the API, another window): the open form points to it without a reload.
  await expect(notice).toContainText('under way');
  await expect(notice).toContainText(/step \d+ \/ 100000/);
  await notice.getByRole('link', { name: 'under way' }).click();
  const train = new TrainPage(page);
  await expect(page).toHaveURL(new RegExp(`#/train/${id}$`));
  await expect(train.status).toHaveText('running', { timeout: 60_000 });

  // Back on the form from the navigation, the way to the run is still there; gone once it stops.
  await studio.goTo('Train');
  await expect(notice.getByRole('link', { name: 'under way' })).toBeVisible();
  await serve.call(request, 'training.stop', { id });
  await expect(notice).toHaveCount(0);
});

test('Pause and Stop say so at once, and the run ends within seconds, checkpoint written', async ({
  page,
  serve,
  request,
  imageFolder,
}) => {
  const folder = await imageFolder(24, 32);
  const datasetId = await serve.addDataset(request, folder);
  // A model whose quality point (what a pause used to compute first) takes a while to measure.
  const started = await serve.call(request, 'training.start', {
    datasetId,
    config: {
      resolution: 64,
      steps: 100_000,
      batchSize: 4,
      width: 0.125,
      latentSize: 16,
      backend: 'wasm',
      threads: 1,
    },
  });
  const id = (started.result as { id: string }).id;
  const studio = new StudioPage(page);
  await studio.open(`${serve.url}#/train/${encodeURIComponent(id)}`);
  const train = new TrainPage(page);
  await expect(train.status).toHaveText('running', { timeout: 60_000 });
  await expect.poll(() => train.step(), { timeout: 60_000 }).toBeGreaterThan(2);

  const ending = page.getByTestId('run-ending');
  let clicked = Date.now();
  await train.button('Pause').click();
  await expect(ending).toHaveText(/Pausing… finishing this step and writing a checkpoint/, {
    timeout: 1_000,
  });
  await expect(train.status).toHaveText('paused', { timeout: 10_000 });
  expect(Date.now() - clicked).toBeLessThan(10_000);
  await expect(ending).toHaveCount(0);
  const paused = await serve.call(request, 'runs.get', { id });
  expect((paused.result as { checkpoints: unknown[] }).checkpoints.length).toBeGreaterThan(0);

  await train.button('Resume').click();
  await expect(train.status).toHaveText('running', { timeout: 60_000 });
  clicked = Date.now();
  await train.button('Stop').click();
  await expect(ending).toHaveText(/Stopping…/, { timeout: 1_000 });
  await expect(train.status).toHaveText('stopped', { timeout: 10_000 });
  expect(Date.now() - clicked).toBeLessThan(10_000);
});
