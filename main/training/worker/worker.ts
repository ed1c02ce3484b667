import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from '../protocol.js';
import { TrainingSession } from './session.js';

/**
 * Entry of a training worker thread (see protocol.ts). Started by the run manager from the
 * compiled .js, or from this .ts with `execArgv: ['--import', 'tsx']` under tests.
 */
if (parentPort === null) {
  throw new Error('main/training/worker.ts runs as a worker thread; the run manager starts it.');
}
const port = parentPort;
const session = new TrainingSession({
  postMessage: (message: FromWorker) => port.postMessage(message),
  on: (event, listener: (message: ToWorker) => void) => port.on(event, listener),
});
// Once the run has ended nothing else will come: let the thread exit by itself.
void session.done.then(() => port.unref());
