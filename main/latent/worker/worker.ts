import { parentPort, workerData } from 'node:worker_threads';
import type { FromLatentWorker, LatentWorkerData, ToLatentWorker } from '../protocol.js';
import { LatentWorker } from './latent-worker.js';

/**
 * Entry of a latent worker thread (see protocol.ts), started by the latent service from the
 * compiled .js, or from this .ts through worker-start.ts under tests.
 */
if (parentPort === null) {
  throw new Error('main/latent/worker/worker.ts runs as a worker thread; the latent service starts it.');
}
const port = parentPort;
new LatentWorker(
  {
    postMessage: (message: FromLatentWorker) => port.postMessage(message),
    on: (event, listener: (message: ToLatentWorker) => void) => port.on(event, listener),
  },
  workerData as LatentWorkerData,
);
