#!/usr/bin/env node
// Takes the README screenshot: serves a data folder (e.g. one with a trained run) and captures
// the page named by the hash. Usage: node scripts/screenshot.mjs DATA_DIR [#/train/RUN] [out.png]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chromium } from '@playwright/test';

const [dataDir, hash = '#/runs', out = 'resources/screenshot.png'] = process.argv.slice(2);
if (!dataDir) {
  console.error('Usage: node scripts/screenshot.mjs DATA_DIR [#/view] [out.png]');
  process.exit(2);
}
const child = spawn(process.execPath, ['bin/gan-studio.js', 'serve', '--json', '--data-dir', dataDir], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const line = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
const { url } = JSON.parse(line);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
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
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
await page.goto(url.replace('/?', `/?`) + hash);
await page.waitForTimeout(2500);
await page.screenshot({ path: out });
await browser.close();
child.kill('SIGINT');
console.log(`Wrote ${out}`);
