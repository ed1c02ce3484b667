/**
 * Thumbnail grid with 10,000 images: frame times while a Playwright-driven Chromium scrolls it
 * from top to bottom (serve mode, Debian's Chromium). Prints a table, writes bench/results/grid.json.
 *
 *   npx tsx bench/grid.ts [--images 10000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import sharp from 'sharp';
import { Studio } from '../main/studio.js';
import { chromiumLaunchOptions } from '../e2e/chromium.js';
import { startServer } from '../main/server/server.js';

const countArg = process.argv.indexOf('--images');
const count = countArg >= 0 ? Number(process.argv[countArg + 1]) : 10_000;
const rendererDir = path.resolve('out/renderer');
if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
  console.error('Build the UI first: npm run build');
  process.exit(1);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-studio-bench-grid-'));
const images = path.join(root, 'images');
fs.mkdirSync(images);
const made = Date.now();
for (let i = 0; i < count; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, count - i) }, (_, j) => {
      const n = i + j;
      const background = { r: n % 256, g: Math.floor(n / 256) % 256, b: (n * 7) % 256 };
      return sharp({ create: { width: 24, height: 24, channels: 3, background } })
        .png()
        .toFile(path.join(images, `${n}.png`));
    }),
  );
}
console.log(`Wrote ${count} images in ${((Date.now() - made) / 1000).toFixed(1)} s`);

const studio = new Studio({ dataDir: path.join(root, 'data'), shell: 'serve' });
const dataset = await studio.datasets.add({ path: images });
await studio.datasets.waitForScan(dataset.id);
const server = await startServer({ studio, staticDir: rendererDir });
const browser = await chromium.launch(chromiumLaunchOptions);
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${server.url}#/datasets/${dataset.id}`);
const grid = page.getByTestId('thumbnail-grid');
await grid.waitFor();
await page.waitForFunction((n) => document.body.innerText.includes(`${n} shown`), count, { timeout: 60_000 });

// Scroll the grid top to bottom in 4 s, one step per animation frame, timing every frame. The
// script goes as text: tsx would wrap named functions in a helper the page does not have.
const scrollScript = `new Promise((resolve) => {
  const el = document.querySelector('[data-testid="thumbnail-grid"]');
  const times = [];
  const total = el.scrollHeight - el.clientHeight;
  const duration = 4000;
  const start = performance.now();
  let last = start;
  const tick = (now) => {
    times.push(now - last);
    last = now;
    const t = Math.min(1, (now - start) / duration);
    el.scrollTop = total * t;
    if (t < 1) requestAnimationFrame(tick);
    else resolve({ times: times.slice(1), domImages: el.querySelectorAll('img').length });
  };
  requestAnimationFrame(tick);
})`;
type Scroll = { times: number[]; domImages: number };
// 1. Cold: thumbnails are made on demand while the grid scrolls.
const cold = (await page.evaluate(scrollScript)) as Scroll;
// 2. Warm: every thumbnail already on disk (as after a first visit), scrolled again from the top.
const thumbsStart = performance.now();
const files = [];
for (let offset = 0; ;) {
  const page = await studio.datasets.files({ id: dataset.id, status: 'used', offset, limit: 5000 });
  files.push(...page.files);
  offset += page.files.length;
  if (page.files.length === 0 || offset >= page.total) break;
}
await Promise.all(files.map((f) => studio.datasets.thumbnail(dataset.id, f.id)));
const thumbsMs = performance.now() - thumbsStart;
await page.evaluate(`document.querySelector('[data-testid="thumbnail-grid"]').scrollTop = 0`);
await page.waitForTimeout(500);
const warm = (await page.evaluate(scrollScript)) as Scroll;
await browser.close();
await server.close();
await studio.close();
fs.rmSync(root, { recursive: true, force: true });

function summarise(scroll: Scroll) {
  const sorted = [...scroll.times].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return {
    frames: sorted.length,
    frameMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: sorted.at(-1) ?? 0 },
    longFramesOver50ms: sorted.filter((t) => t > 50).length,
    domImagesAtEnd: scroll.domImages,
  };
}
const result = {
  benchmark: 'grid',
  date: new Date().toISOString(),
  images: count,
  cold: summarise(cold),
  warm: summarise(warm),
  thumbnailsPerSecond: Math.round((files.length * 1000) / thumbsMs),
};
console.log(`images in the dataset          ${count}`);
console.log('scroll                         frames   p50    p95    p99    max   >50ms  <img>');
for (const [name, r] of [
  ['cold (thumbnails on demand)', result.cold],
  ['warm (thumbnails on disk)', result.warm],
] as const) {
  const ms = [r.frameMs.p50, r.frameMs.p95, r.frameMs.p99, r.frameMs.max].map((v) =>
    v.toFixed(1).padStart(6),
  );
  console.log(
    `${name.padEnd(30)} ${String(r.frames).padStart(6)} ${ms.join(' ')} ${String(r.longFramesOver50ms).padStart(6)} ${String(r.domImagesAtEnd).padStart(6)}`,
  );
}
console.log(
  `thumbnails made                ${result.thumbnailsPerSecond} per second (all ${files.length}, those the cold scroll made included)`,
);
fs.mkdirSync(path.join('bench', 'results'), { recursive: true });
fs.writeFileSync(path.join('bench', 'results', 'grid.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log('Wrote bench/results/grid.json');
