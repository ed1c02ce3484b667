import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { firstLineOf } from '../../../shared/errors.js';
import type { BackendStatus } from '../../../shared/types.js';
import { nativePackages, resolvable, resolvePackage, vulkanMissing, wasmBinariesDir } from '../packages.js';

/**
 * What each training backend would do on this machine, for app.info, answered on the main thread
 * without loading TensorFlow.js: packages are only resolved, and Dawn is asked for an adapter in
 * a throwaway thread. The worker's backends.ts does the real selection.
 */

/**
 * Looks for a WebGPU adapter in a short-lived thread, so the main thread never loads Dawn.
 * Plain JS evaluated in the worker: it needs no TypeScript loader.
 */
function probeAdapter(dawnEntry: string, timeoutMs: number): Promise<string | null> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.entry)
      .then(async (dawn) => {
        const adapter = await dawn.create([]).requestAdapter();
        parentPort.postMessage(adapter ? null : 'No GPU adapter was found (Dawn found no Vulkan, Metal or Direct3D 12 device).');
      })
      .catch((e) => parentPort.postMessage('Dawn could not look for a GPU: ' + String(e && e.message || e).split('\\n')[0] + '.'));
  `;
  return new Promise((resolve) => {
    const worker = new Worker(source, {
      eval: true,
      workerData: { entry: dawnEntry },
      stdout: true,
      stderr: true,
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve('Looking for a GPU adapter timed out.');
    }, timeoutMs);
    worker.once('message', (reason: string | null) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(reason);
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      resolve(`Dawn could not look for a GPU: ${firstLineOf(error)}.`);
    });
  });
}

let probed: Promise<BackendStatus[]> | undefined;

/**
 * What each backend would do on this machine, for app.info. Cheap: resolves packages and asks
 * Dawn for an adapter in a throwaway thread; initialises nothing here. Cached per process.
 */
export function probeBackends(): Promise<BackendStatus[]> {
  probed ??= probeUncached();
  return probed;
}

async function probeUncached(): Promise<BackendStatus[]> {
  const native = nativePackages.find((pkg) => resolvable(pkg));
  const tensorflow: BackendStatus =
    native !== undefined
      ? { name: 'tensorflow', available: true }
      : {
          name: 'tensorflow',
          available: false,
          reason: 'Native TensorFlow (@tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node) is not installed.',
        };

  let webgpu: BackendStatus;
  if (!resolvable('webgpu')) {
    webgpu = {
      name: 'webgpu',
      available: false,
      reason: 'The optional webgpu package (Dawn) is not installed.',
    };
  } else {
    const reason =
      vulkanMissing() ?? (await probeAdapter(pathToFileURL(resolvePackage('webgpu')).href, 10_000));
    webgpu =
      reason === null ? { name: 'webgpu', available: true } : { name: 'webgpu', available: false, reason };
  }

  let wasm: BackendStatus;
  try {
    const dir = wasmBinariesDir();
    wasm = existsSync(path.join(dir, 'tfjs-backend-wasm.wasm'))
      ? { name: 'wasm', available: true }
      : { name: 'wasm', available: false, reason: `The WebAssembly binaries are missing from ${dir}.` };
  } catch {
    wasm = { name: 'wasm', available: false, reason: 'tfjs-backend-wasm is not installed.' };
  }
  return [tensorflow, webgpu, wasm, { name: 'cpu', available: true }];
}
