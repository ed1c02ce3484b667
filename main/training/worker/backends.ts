import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { backendNames, type BackendName } from '../../../shared/config.js';
import { firstLineOf } from '../../../shared/errors.js';
import type { BackendStatus } from '../../../shared/types.js';
import { registerWasmTrainingKernels } from '../kernels/wasm/index.js';
import { registerWebgpuTrainingKernels } from '../kernels/webgpu/index.js';
import { nativePackages, vulkanMissing, wasmBinariesDir } from '../packages.js';
import { loadThreadedWasm, maxWasmThreads, resolveThreads } from './wasm-threads.js';

/**
 * Backend selection for a training worker (Node). Best first: native TensorFlow (tfjs-node-gpu,
 * then tfjs-node), WebGPU through Dawn's `webgpu` package where it finds an adapter, wasm
 * (XNNPACK; one thread, or the threaded build of wasm-threads.ts when more are asked for) with
 * the training kernels it lacks, then the plain JS cpu backend.
 */

export interface BackendOptions {
  /**
   * CPU threads for wasm, as TrainConfig.threads: 0 = auto (resolveThreads). Absent: 1, the
   * stock single-threaded build. The other backends schedule their own threads.
   */
  threads?: number;
}

export interface BackendSelection {
  backend: BackendName;
  /**
   * One entry per backend tried before the chosen one, with why it was skipped (available:
   * false); then, where the chosen one runs with less than asked (wasm with fewer threads), a
   * note on it with available: true.
   */
  notes: BackendStatus[];
  /** Threads wasm computes on; absent for the other backends. */
  threads?: number;
}

/** A backend that started; or, as a string, why it did not. */
interface Started {
  threads?: number;
  /** How it runs short of what was asked, for the user. */
  note?: string;
}

/** The shape of Dawn's `webgpu` package that is used here. */
interface DawnModule {
  create(flags: string[]): { requestAdapter(): Promise<object | null> };
  globals: Record<string, unknown>;
}

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  // Loaders other than Node's (vitest, bundlers) word it differently but keep the phrase.
  return /Cannot find (module|package)|Failed to load url/i.test(firstLineOf(error));
}

/** Imports a package by a name TypeScript does not resolve: optional dependencies may be absent. */
async function importOptional(name: string): Promise<unknown> {
  return import(name) as Promise<unknown>;
}

async function activate(name: BackendName): Promise<string | null> {
  try {
    if (await tf.setBackend(name)) {
      await tf.ready();
      return null;
    }
  } catch (error) {
    return `It failed to start: ${firstLineOf(error)}`;
  }
  return 'It failed to start (tfjs logged the reason).';
}

async function tryTensorflow(): Promise<string | null> {
  const reasons: string[] = [];
  for (const pkg of nativePackages) {
    try {
      await importOptional(pkg);
    } catch (error) {
      reasons.push(
        isMissingModule(error) ? `${pkg} is not installed` : `${pkg} did not load (${firstLineOf(error)})`,
      );
      continue;
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      reasons.push(`${pkg} loaded but registered with another copy of tfjs-core`);
      continue;
    }
    const failure = await activate('tensorflow');
    if (failure === null) return null;
    reasons.push(`${pkg}: ${failure}`);
  }
  return `Native TensorFlow is unavailable: ${reasons.join('; ')}.`;
}

async function loadDawn(): Promise<DawnModule | string> {
  try {
    return (await importOptional('webgpu')) as DawnModule;
  } catch (error) {
    return isMissingModule(error)
      ? 'The optional webgpu package (Dawn) is not installed.'
      : `The webgpu package (Dawn) did not load: ${firstLineOf(error)}.`;
  }
}

async function tryWebgpu(): Promise<string | null> {
  const noVulkan = vulkanMissing();
  if (noVulkan !== null) return noVulkan;
  const dawn = await loadDawn();
  if (typeof dawn === 'string') return dawn;
  let gpu: { requestAdapter(): Promise<object | null> };
  try {
    // tfjs-backend-webgpu reads GPUBufferUsage & co. as globals and registers itself only when
    // navigator.gpu exists, so both go in place before it is imported.
    Object.assign(globalThis, dawn.globals);
    gpu = dawn.create([]);
    if ((await gpu.requestAdapter()) === null) {
      return 'No GPU adapter was found (Dawn found no Vulkan, Metal or Direct3D 12 device).';
    }
  } catch (error) {
    return `Dawn could not look for a GPU: ${firstLineOf(error)}.`;
  }
  const scope = globalThis as { navigator?: { gpu?: unknown } };
  if (scope.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else if (scope.navigator.gpu === undefined) {
    Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true });
  }
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    return `tfjs-backend-webgpu did not load: ${firstLineOf(error)}.`;
  }
  const failure = await activate('webgpu');
  if (failure !== null) return `WebGPU: ${failure}`;
  registerWebgpuTrainingKernels();
  return null;
}

async function tryWasm(requestedThreads: number): Promise<Started | string> {
  let dir: string;
  try {
    dir = wasmBinariesDir();
  } catch {
    return 'tfjs-backend-wasm is not installed.';
  }
  if (!existsSync(path.join(dir, 'tfjs-backend-wasm.wasm'))) {
    return `The WebAssembly binaries are missing from ${dir}.`;
  }
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(dir);
  } catch (error) {
    return `tfjs-backend-wasm did not load: ${firstLineOf(error)}.`;
  }
  let threads = requestedThreads;
  let note: string | undefined;
  if (threads > maxWasmThreads) {
    note = `wasm runs at most ${maxWasmThreads} threads; training on ${maxWasmThreads}.`;
    threads = maxWasmThreads;
  }
  // One thread stays on the stock build: the threaded one would only add its thread workers.
  if (threads > 1) {
    try {
      await loadThreadedWasm(threads);
      registerWasmTrainingKernels();
      return note === undefined ? { threads } : { threads, note };
    } catch (error) {
      // loadThreadedWasm put the stock registration back: train on one thread, and say why.
      note = `Threads unavailable: ${firstLineOf(error).replace(/\.$/, '')}; training on 1 thread.`;
    }
  }
  const failure = await activate('wasm');
  if (failure !== null) return `WebAssembly: ${failure}`;
  registerWasmTrainingKernels();
  return note === undefined ? { threads: 1 } : { threads: 1, note };
}

async function tryCpu(): Promise<string | null> {
  await import('@tensorflow/tfjs-backend-cpu');
  return activate('cpu');
}

/** Adapts a try that returns null on success. */
function started(attempt: () => Promise<string | null>): () => Promise<Started | string> {
  return async () => (await attempt()) ?? {};
}

const attempts: Record<BackendName, (threads: number) => Promise<Started | string>> = {
  tensorflow: started(tryTensorflow),
  webgpu: started(tryWebgpu),
  wasm: tryWasm,
  cpu: started(tryCpu),
};

/**
 * Makes the best available backend current, starting at `preference` ('auto' starts at the
 * best) and falling back down the list. Call once per worker, before building any tensor.
 */
export async function selectBackend(
  preference: 'auto' | BackendName,
  options: BackendOptions = {},
): Promise<BackendSelection> {
  const start = preference === 'auto' ? 0 : backendNames.indexOf(preference);
  const threads = resolveThreads(options.threads ?? 1);
  const notes: BackendStatus[] = [];
  for (const name of backendNames.slice(start)) {
    const outcome = await attempts[name](threads);
    if (typeof outcome !== 'string') {
      if (outcome.note !== undefined) notes.push({ name, available: true, reason: outcome.note });
      return outcome.threads === undefined
        ? { backend: name, notes }
        : { backend: name, notes, threads: outcome.threads };
    }
    notes.push({ name, available: false, reason: outcome });
  }
  throw new Error(`No TensorFlow.js backend could start: ${notes.map((n) => n.reason).join(' ')}`);
}
