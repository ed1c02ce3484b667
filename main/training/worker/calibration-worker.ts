import { parentPort } from 'node:worker_threads';
import type { CalibrationRequest, FromCalibration } from '../protocol.js';
import { runCalibration } from './calibration.js';

/**
 * Entry of a calibration worker thread: times one model on one backend (calibration.ts), posts
 * progress and the measurement, and is then terminated by the host.
 */
if (parentPort === null) {
  throw new Error(
    'main/training/worker/calibration-worker.ts runs as a worker thread; the studio starts it.',
  );
}
const port = parentPort;
port.once('message', (request: CalibrationRequest) => {
  void runCalibration(request, (message: FromCalibration) => port.postMessage(message));
});
