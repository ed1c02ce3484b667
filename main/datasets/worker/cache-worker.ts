/**
 * Worker thread entry: renders a dataset's used images into a training cache file. Runs off the
 * main thread so thousands of resizes and a multi-GB write never stall the UI or the API; libvips
 * does the pixel work on its own threads either way.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { firstLineOf } from '../../../shared/errors.js';
import { CacheWriter } from '../cache-format.js';
import type { CacheJob, FromCacheWorker } from '../cache-protocol.js';
import { fillCache, renderSources } from '../cache-render.js';
import { loadSharp } from '../../common/sharp-loader.js';

function post(message: FromCacheWorker): void {
  parentPort?.postMessage(message);
}

async function build(job: CacheJob): Promise<void> {
  const sharp = await loadSharp();
  // Each image is decoded once, so libvips' operation cache would only hold memory (up to 50 MB).
  // The setting is process-wide; nothing in the studio repeats an operation on the same input.
  sharp.cache(false);
  const writer = await CacheWriter.create({
    file: job.file,
    tempFile: job.tempFile,
    height: job.render.resolution,
    width: job.render.resolution,
    flip: job.flip,
    meta: job.meta,
  });
  const total = job.sources.length;
  let lastPost = 0;
  try {
    const rendered = renderSources(sharp, job.sources, job.render, job.concurrency);
    const { skipped } = await fillCache(writer, rendered, (done) => {
      const now = Date.now();
      if (now - lastPost >= 100 || done === total) {
        lastPost = now;
        post({ type: 'progress', done, total });
      }
    });
    const { count, bytes } = await writer.finish();
    post({ type: 'done', count, bytes, skipped });
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

build(workerData as CacheJob).catch((err: unknown) => {
  post({ type: 'error', message: firstLineOf(err) });
});
