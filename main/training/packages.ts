import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * Where the optional and WebAssembly backends' packages live. Resolving a package loads none of
 * it, so the main thread's backend probe and the worker's backend selection share these without
 * the main thread ever loading TensorFlow.js.
 */

const require = createRequire(import.meta.url);

export const nativePackages = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export function resolvable(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** The entry file of an installed package. */
export function resolvePackage(name: string): string {
  return require.resolve(name);
}

/** Folder holding tfjs-backend-wasm's .wasm binaries (setWasmPaths wants a trailing slash). */
export function wasmBinariesDir(): string {
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}
