// Takes the README screenshot: serves a data folder (e.g. one with a trained run) and captures
// the page named by the hash. Usage: npx tsx scripts/screenshot.ts DATA_DIR [#/train/RUN] [out.png]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../e2e/chromium.js';

const [dataDir, hash = '#/runs', out = 'resources/screenshot.png'] = process.argv.slice(2);
if (!dataDir) {
  console.error('Usage: npx tsx scripts/screenshot.ts DATA_DIR [#/view] [out.png]');
  process.exit(2);
}
const child = spawn(process.execPath, ['bin/gan-studio.js', 'serve', '--json', '--data-dir', dataDir], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const line = await new Promise<string>((resolve) =>
  createInterface({ input: child.stdout! }).once('line', resolve),
);
const { url } = JSON.parse(line) as { url: string };
const browser = await chromium.launch(chromiumLaunchOptions);
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
await page.goto(url + hash);
await page.waitForTimeout(2500);
await page.screenshot({ path: out });
await browser.close();
child.kill('SIGINT');
console.log(`Wrote ${out}`);
