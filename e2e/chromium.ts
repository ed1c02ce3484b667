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
