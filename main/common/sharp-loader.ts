import type sharpFactory from 'sharp';

export type SharpFactory = typeof sharpFactory;

let loading: Promise<SharpFactory> | undefined;

/**
 * sharp (libvips) is loaded on first use, not at import: the window should not wait for a native
 * image library that is only needed once a folder is scanned.
 */
export function loadSharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}
