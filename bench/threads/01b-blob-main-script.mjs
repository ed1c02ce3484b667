// Experiment 1b: the second half of why tfjs's own init() cannot run threads in Node. Even with
// the pthread worker given as a real file, tfjs passes the main script to each pthread as a Blob
// (mainScriptUrlOrBlob); the Emscripten worker turns it into a blob: URL and importScripts() it,
// which in Node is fs.readFileSync(url) -> ENOENT. (threaded-wasm.mjs passes a file path.)
//   node bench/threads/01b-blob-main-script.mjs
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const require = createRequire(import.meta.url);
const wasmOut = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/wasm-out';
const factory = require(wasmOut + '/tfjs-backend-wasm-threaded-simd.js');
const { wasmWorkerContents } = require(wasmOut + '/tfjs-backend-wasm-threaded-simd.worker.js');
const wf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'x-')), 'w.cjs');
fs.writeFileSync(wf, wasmWorkerContents.replace(/\n/g, '\\n'));
process.on('uncaughtException', (e) => {
  console.log('uncaught:', e.code ?? '', e.message);
  process.exit(1);
});
setTimeout(() => {
  console.log('timeout');
  process.exit(2);
}, 8000);
await factory({
  locateFile: (p) => (p.endsWith('.worker.js') ? wf : path.join(wasmOut, p)),
  mainScriptUrlOrBlob: new Blob(['var WasmBackendModuleThreadedSimd = ' + factory.toString()], {
    type: 'text/javascript',
  }),
});
console.log('module ready (main thread); pool workers loading...');
