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
