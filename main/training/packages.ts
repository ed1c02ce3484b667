import fs from 'node:fs';
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

/** Where Linux keeps shared libraries, besides LD_LIBRARY_PATH and the loader's cache. */
const libraryDirs = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib64',
  '/lib',
  '/usr/local/lib',
];

export interface VulkanCheck {
  platform: NodeJS.Platform;
  libraryPath: string | undefined;
  exists(file: string): boolean;
  /** The dynamic loader's cache (/etc/ld.so.cache), or '' where there is none. */
  loaderCache(): string;
}

const thisMachine: VulkanCheck = {
  platform: process.platform,
  libraryPath: process.env['LD_LIBRARY_PATH'],
  exists: (file) => fs.existsSync(file),
  loaderCache: () => {
    try {
      return fs.readFileSync('/etc/ld.so.cache', 'latin1');
    } catch {
      return '';
    }
  },
};

/**
 * Why a GPU cannot be used through Dawn on this Linux machine before Dawn is even loaded: with no
 * Vulkan loader there is no GPU driver to reach, and loading Dawn would only print its own
 * "Couldn't load Vulkan" warning on every start. Null where the loader is there (or elsewhere
 * than Linux, where Dawn uses Metal or Direct3D).
 */
export function vulkanMissing(check: VulkanCheck = thisMachine): string | null {
  if (check.platform !== 'linux') return null;
  const dirs = [...(check.libraryPath?.split(':').filter(Boolean) ?? []), ...libraryDirs];
  if (dirs.some((dir) => check.exists(path.join(dir, 'libvulkan.so.1')))) return null;
  if (check.loaderCache().includes('libvulkan.so.1')) return null;
  return "No GPU was found: the Vulkan loader (libvulkan.so.1) is not installed, so there is no GPU driver to train on. Install your GPU's driver with Vulkan support to train on the GPU; training runs on the CPU meanwhile.";
}
