// Registers tfjs-backend-wasm 4.22's threaded-SIMD build in Node without patching node_modules.
//
// tfjs's own init() cannot do it in Node: its locateFile always returns a blob: URL for the
// pthread worker script (Node's Worker refuses it: ERR_WORKER_PATH) and it passes the main
// script as a Blob (the worker's importScripts reads it with fs.readFileSync, which cannot open a
// blob: URL). This module does what init() does, with real files instead:
//   - the Emscripten factory comes from the package's wasm-out/ folder (plain CommonJS);
//   - the pthread worker source (exported as a string by wasm-out/...worker.js) is written once
//     to a .cjs file in a temp folder and located by path;
//   - mainScriptUrlOrBlob is the path of that factory file, so each pthread importScripts() it.
// Then it re-registers the 'wasm' backend (same name, so every kernel registered for 'wasm',
// including GAN Studio's own, still applies) to construct BackendWasm on that module.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const wasmOut = path.join(pkgDir, 'wasm-out');
const factoryPath = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');

function writeWorkerScript() {
  const { wasmWorkerContents } = require(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js'));
  // Same escaping tfjs applies before making its Blob: the template literal turned "\n" in a
  // string literal into a real newline.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  // One file per tfjs version, written atomically once (an app would use its own cache folder).
  const file = path.join(
    os.tmpdir(),
    `tfjs-backend-wasm-${wasmBackend.version_wasm}-threaded-simd.worker.cjs`,
  );
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== source) {
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, source);
    fs.renameSync(temp, file);
  }
  return file;
}

/**
 * @param logicalCores if set, what the module's emscripten_num_logical_cores() import answers.
 *   tfjs's backend.cc caps the pool at min(requested, logicalCores / 2, 8) (it assumes two
 *   hyperthreads per core), so on a 2-CPU machine setThreadsCount(2) alone still gives 1 thread.
 *   The import is swapped in this module's own instantiateWasm; nothing global is touched.
 */
export function initThreadedModule(logicalCores) {
  const factory = require(factoryPath);
  const workerFile = writeWorkerScript();
  // dist/ holds the same binary and is the folder electron-builder already unpacks from the asar.
  const wasmFile = path.join(pkgDir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm');
  const config = {
    locateFile(p) {
      if (p.endsWith('.worker.js')) return workerFile;
      if (p.endsWith('.wasm')) return wasmFile;
      return path.join(wasmOut, p);
    },
    mainScriptUrlOrBlob: factoryPath,
  };
  if (logicalCores !== undefined) {
    config.instantiateWasm = (imports, receiveInstance) => {
      imports.env = { ...imports.env, emscripten_num_logical_cores: () => logicalCores };
      WebAssembly.instantiate(fs.readFileSync(wasmFile), imports).then(
        ({ instance, module }) => receiveInstance(instance, module),
        (e) => {
          console.error('instantiate failed', e);
          throw e;
        },
      );
      return {};
    };
  }
  return factory(config).then((module) => {
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    return module;
  });
}

/** Replaces the 'wasm' backend factory with the threaded one and makes it current. */
export async function useThreadedWasm(threads, logicalCores) {
  wasmBackend.setThreadsCount(threads);
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => new wasmBackend.BackendWasm(await initThreadedModule(logicalCores)),
    2,
  );
  if (!(await tf.setBackend('wasm'))) throw new Error('setBackend(wasm) returned false');
  await tf.ready();
  return wasmBackend.getThreadsCount();
}

/** The stock single-threaded SIMD build, as GAN Studio uses it today. */
export async function useStockWasm() {
  wasmBackend.setWasmPaths(path.join(pkgDir, 'dist') + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('setBackend(wasm) returned false');
  await tf.ready();
  return wasmBackend.getThreadsCount();
}
