import type { APIRequestContext } from '@playwright/test';
import { expect, type ServeInstance } from './fixtures.js';

/** Settings that train in seconds on one core: what the browser tests train. */
export const tinyRun = {
  resolution: 32,
  steps: 12,
  batchSize: 4,
  width: 0.125,
  latentSize: 16,
  metricsEvery: 2,
  sampleEvery: 4,
  backend: 'wasm',
  threads: 1,
};

export type RunStatus = { status: string; step: number };

export async function runStatus(
  serve: ServeInstance,
  request: APIRequestContext,
  id: string,
): Promise<RunStatus> {
  return (await serve.call(request, 'runs.get', { id })).result as RunStatus;
}

/** Starts a run through the API and waits until it has finished; returns its id and name. */
export async function trainToEnd(
  serve: ServeInstance,
  request: APIRequestContext,
  input: { datasetId: string; name?: string; config: object },
): Promise<{ id: string; name: string }> {
  const started = await serve.call(request, 'training.start', input);
  expect(started.ok, started.error?.message).toBe(true);
  const run = started.result as { id: string; name: string };
  await expect
    .poll(async () => (await runStatus(serve, request, run.id)).status, { timeout: 90_000 })
    .toBe('finished');
  return run;
}
