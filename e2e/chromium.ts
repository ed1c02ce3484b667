import type { LaunchOptions } from '@playwright/test';

/**
 * How every browser test and benchmark starts Chromium: Debian's build (never a downloaded one),
 * headless, with the background services off that would otherwise hammer a closed network.
 */
export const chromiumLaunchOptions: LaunchOptions = {
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/**
 * The same with WebGPU on: Debian's Chromium offers SwiftShader's adapter (WebGPU on the CPU),
 * so the engine's WebGPU path runs where no GPU is. Correct there; only a GPU makes it fast.
 */
export const webgpuLaunchOptions: LaunchOptions = {
  ...chromiumLaunchOptions,
  args: [
    ...(chromiumLaunchOptions.args ?? []),
    '--enable-unsafe-webgpu',
    '--enable-unsafe-swiftshader',
    '--use-webgpu-adapter=swiftshader',
    '--enable-features=Vulkan',
  ],
};
