import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { threadId, type Worker } from 'node:worker_threads';
import { firstLineOf } from '../../../shared/errors.js';

/**
 * Multi-threaded wasm training in Node: registers tfjs-backend-wasm's threaded-SIMD build as the
 * 'wasm' backend. tfjs cannot do this itself in Node (bench/threads has each failure and the
 * measurements): its init() hands the pthread worker script to `worker_threads` as a blob: URL,
 * which Node refuses, and the main script as a Blob, which the pthreads' importScripts (an
 * fs.readFileSync) cannot read. So this does what init() does with real files instead:
 *   - the Emscripten factory is required from the package's wasm-out/ folder (CommonJS);
 *   - the pthread worker source (a string exported by wasm-out/…worker.js) and a copy of the
 *     factory, which every pthread evaluates, are written to a private cache folder and located
 *     by path; being plain files outside the app's asar, the pthreads can read them anywhere;
 *   - the backend is registered under the same name, 'wasm', so every kernel registered for it
 *     (tfjs's own and GAN Studio's training kernels) still applies.
 * Call it in the training worker thread before the wasm backend starts; it works there (the
 * pthreads are nested workers, which end with it).
 */

const require = createRequire(import.meta.url);

/**
 * Most threads the threaded build can run: its Emscripten runtime pre-starts a pool of 8 thread
 * workers and backend.cc caps the XNNPACK pool at 8.
 */
export const maxWasmThreads = 8;

/** tfjs-backend-wasm's own registration priority for 'wasm' (WASM_PRIORITY). */
const wasmPriority = 2;

/** A pthread worker that does not check in by then has failed to load. */
const startTimeoutMs = 30_000;

/**
 * TrainConfig.threads made concrete: a positive count is taken as asked (callers clamp to
 * maxWasmThreads); 0 (auto) leaves one core to the main thread and the UI, so on two cores it
 * is 1 and the stock single-threaded build trains, as before threads existed.
 */
export function resolveThreads(requested: number, cores: number = os.availableParallelism()): number {
  if (requested > 0) return requested;
  return Math.max(1, Math.min(maxWasmThreads, cores - 1));
}

/** What GAN Studio touches of Emscripten's pthread runtime (`Module.PThread`). */
interface PThreadRuntime {
  /** Started workers waiting for a pthread. */
  unusedWorkers: Worker[];
  /** Workers running a pthread (the XNNPACK pool's threads, the calling thread excepted). */
  runningWorkers: Worker[];
  terminateAllThreads(): void;
}

type CwrapType = 'number' | null;

/** The threaded module as the factory resolves it, before tfjs's `tfjs` bridge is attached. */
interface ThreadedModule {
  cwrap(name: string, returnType: CwrapType, argTypes: CwrapType[]): (...args: number[]) => number;
  PThread: PThreadRuntime;
}

/** The module BackendWasm is constructed on. */
type BackendWasmModule = ConstructorParameters<typeof BackendWasm>[0];

/** The settings the Emscripten factory reads (its WasmFactoryConfig, as used here). */
interface FactoryConfig {
  locateFile(file: string): string;
  /** What each pthread importScripts(): the factory's own source. */
  mainScriptUrlOrBlob: string;
  instantiateWasm(
    imports: WebAssembly.Imports,
    receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): object;
  onAbort(reason: unknown): void;
  /** Set by the runtime: MODULARIZE uses this very object as its Module. */
  PThread?: PThreadRuntime;
}

type ThreadedFactory = (config: FactoryConfig) => Promise<ThreadedModule>;

interface PackageFiles {
  factory: string;
  workerSource: string;
  binary: string;
}

function packageFiles(): PackageFiles {
  let dir: string;
  try {
    dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  } catch {
    throw new Error('tfjs-backend-wasm is not installed.');
  }
  const files: PackageFiles = {
    factory: path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'),
    workerSource: path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js'),
    // dist/ holds the same binary as wasm-out/ and is the folder electron-builder unpacks.
    binary: path.join(dir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm'),
  };
  for (const file of Object.values(files)) {
    if (!fs.existsSync(file)) throw new Error(`the threaded build is incomplete: ${file} is missing.`);
  }
  return files;
}

/**
 * The cache folder for one tfjs version: per user, because a shared temp folder would let
 * another user swap the scripts this process runs.
 */
export function threadedWasmCacheDir(version: string): string {
  const uid = process.getuid?.();
  return path.join(os.tmpdir(), `gan-studio-${version}${uid === undefined ? '' : `-${uid}`}`);
}

/** Creates the folder, or checks that an existing one is this user's alone. */
function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory()) throw new Error(`${dir} is not a folder.`);
  if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o022) !== 0)) {
    throw new Error(
      `${dir} is not private to this user (owner ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}).`,
    );
  }
}

/**
 * Writes `contents` to `file` unless it already holds exactly that, atomically (temp file, then
 * rename) so that concurrent runs, threads or processes, never read half a script. No fsync:
 * the contents are compared on every use, so a file torn by a crash is simply rewritten.
 */
function writeIfChanged(file: string, contents: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === contents) return;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  const temp = `${file}.${process.pid}-${threadId}-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.writeFileSync(temp, contents, { mode: 0o600 });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

interface Scripts {
  /** The pthread worker script. */
  worker: string;
  /** The factory, which each pthread evaluates. */
  factory: string;
}

/** The two scripts the pthreads run, read from the package. */
function readScripts(files: PackageFiles): Scripts {
  const { wasmWorkerContents } = require(files.workerSource) as { wasmWorkerContents?: unknown };
  if (typeof wasmWorkerContents !== 'string') {
    throw new Error(`${files.workerSource} does not export the pthread worker source.`);
  }
  return {
    // Same escaping tfjs applies before making its Blob: the template literal the source is
    // exported in turned every "\n" escape inside a string literal into a real newline.
    worker: wasmWorkerContents.replace(/\n/g, '\\n'),
    factory: fs.readFileSync(files.factory, 'utf8'),
  };
}

/** Writes the scripts to the cache folder; returns their paths. */
function writeScripts(scripts: Scripts, dir: string): Scripts {
  ensurePrivateDir(dir);
  const worker = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  writeIfChanged(worker, scripts.worker);
  const factory = path.join(dir, 'tfjs-backend-wasm-threaded-simd.cjs');
  writeIfChanged(factory, scripts.factory);
  return { worker, factory };
}

/**
 * Instantiates the threaded module. Its runtime pre-starts 8 pthread workers and resolves once
 * all have loaded. backend.cc caps the thread pool at half of emscripten_num_logical_cores()
 * (it assumes two hyperthreads per core), so that import answers 2 × threads: the pool then has
 * exactly `threads`, whatever the machine reports. Nothing global is changed for it.
 */
function startModule(files: PackageFiles, scripts: Scripts, threads: number): Promise<ThreadedModule> {
  const factory = require(files.factory) as ThreadedFactory;
  if (typeof factory !== 'function') throw new Error(`${files.factory} does not export a module factory.`);
  const binary = fs.readFileSync(files.binary);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      config.PThread?.terminateAllThreads();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const config: FactoryConfig = {
      locateFile: (file) => {
        if (file.endsWith('.worker.js')) return scripts.worker;
        if (file.endsWith('.wasm')) return files.binary;
        return path.join(path.dirname(files.factory), file);
      },
      mainScriptUrlOrBlob: scripts.factory,
      instantiateWasm: (imports, receive) => {
        const env = imports['env'];
        if (env === undefined || !('emscripten_num_logical_cores' in env)) {
          fail(new Error('this tfjs-backend-wasm build does not import emscripten_num_logical_cores.'));
          return {};
        }
        imports['env'] = { ...env, emscripten_num_logical_cores: () => 2 * threads };
        WebAssembly.instantiate(binary, imports).then(
          ({ instance, module }) => receive(instance, module),
          (error: unknown) => fail(new Error(`WebAssembly.instantiate failed: ${firstLineOf(error)}`)),
        );
        return {};
      },
      onAbort: (reason) => fail(new Error(`the threaded build aborted: ${firstLineOf(reason)}`)),
    };
    const timer = setTimeout(
      () =>
        fail(
          new Error(`the threaded build's thread workers did not start within ${startTimeoutMs / 1000} s.`),
        ),
      startTimeoutMs,
    );
    let ready: Promise<ThreadedModule>;
    try {
      ready = factory(config);
    } catch (error) {
      fail(error);
      return;
    }
    ready.then((module) => {
      if (settled) {
        module.PThread.terminateAllThreads();
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(module);
    }, fail);
  });
}

/** The bridge tfjs's init() attaches (backend_wasm.ts), which BackendWasm calls. */
function withTfjsBridge(module: ThreadedModule): BackendWasmModule {
  const tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  // The Emscripten module has no TypeScript description beyond what is used here.
  return Object.assign(module, { tfjs }) as unknown as BackendWasmModule;
}

/**
 * Settles the pthread workers once the pool exists. The pool is created once, in BackendWasm's
 * constructor, and no thread is created after it, so:
 *   - the workers it did not take (8 − (threads − 1)) only hold memory, about 50 MB together
 *     (bench/threads/07-pool-trim.mjs): they are ended;
 *   - Emscripten ref()s a worker when it runs a pthread, to keep Node alive for a program that
 *     lives in its threads. Pool threads only wait for work that this thread hands them while
 *     it runs wasm code, so they are unref()'d: otherwise this thread (or the process, in a
 *     bench) would never end by itself.
 */
function settleWorkers(runtime: PThreadRuntime): number {
  const unused = runtime.unusedWorkers.splice(0);
  for (const worker of unused) void worker.terminate().catch(() => undefined);
  for (const worker of runtime.runningWorkers) worker.unref();
  return unused.length;
}

let stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null | undefined;

export interface ThreadedWasm {
  /** Threads XNNPACK computes on (the calling thread and threads − 1 pthreads). */
  threads: number;
  /** Idle pthread workers ended after start-up. */
  trimmedWorkers: number;
}

/**
 * Registers the threaded-SIMD build as the 'wasm' backend with exactly `threads` threads
 * (2..maxWasmThreads) and makes it current. Throws a message that says what is off (files
 * missing from the package, a cache folder that cannot be written, a runtime that does not
 * start) and then leaves tfjs as it was: the stock 'wasm' registration is put back, so the
 * caller can fall back to the single-threaded build. Call before the wasm backend has started.
 */
export async function loadThreadedWasm(threads: number): Promise<ThreadedWasm> {
  if (!Number.isInteger(threads) || threads < 2 || threads > maxWasmThreads) {
    throw new RangeError(`the threaded build runs 2 to ${maxWasmThreads} threads, not ${threads}.`);
  }
  if ('wasm' in tf.engine().registry) {
    throw new Error('the wasm backend has already started; load the threaded build before it.');
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const files = packageFiles();
  const cacheDir = threadedWasmCacheDir(wasm.version_wasm);
  const sources = readScripts(files);
  let scripts: Scripts;
  try {
    scripts = writeScripts(sources, cacheDir);
  } catch (error) {
    throw new Error(
      `the threaded build's scripts could not be written to ${cacheDir} (${firstLineOf(error)}).`,
    );
  }
  const module = withTfjsBridge(await startModule(files, scripts, threads));
  const runtime = (module as unknown as ThreadedModule).PThread;

  // The package registered the stock factory on import; keep it to put back on failure.
  stockFactory ??= tf.findBackendFactory('wasm');
  let constructorError: unknown;
  // BackendWasm's constructor creates the pool with the count set here (a module-level setting).
  wasm.setThreadsCount(threads);
  if (tf.findBackendFactory('wasm') !== null) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    () => {
      try {
        return new wasm.BackendWasm(module);
      } catch (error) {
        constructorError = error;
        throw error;
      }
    },
    wasmPriority,
  );
  try {
    if (!(await tf.setBackend('wasm'))) {
      throw new Error(
        constructorError === undefined
          ? 'tfjs could not start the threaded build.'
          : `tfjs could not start the threaded build: ${firstLineOf(constructorError)}`,
      );
    }
    await tf.ready();
    const actual = wasm.getThreadsCount();
    if (actual !== threads)
      throw new Error(`the threaded build started ${actual} threads instead of ${threads}.`);
  } catch (error) {
    tf.removeBackend('wasm');
    runtime.terminateAllThreads();
    wasm.setThreadsCount(-1);
    if (stockFactory) tf.registerBackend('wasm', stockFactory, wasmPriority);
    throw error;
  }
  return { threads, trimmedWorkers: settleWorkers(runtime) };
}
