/**
 * Dataset engine benchmark: a folder of 5,000 128×128 PNGs and its 64 px training cache, through
 * DatasetService exactly as the app does (real SQLite store, sharp, cache worker thread), two ways:
 * scan, then build the cache in its worker (a training start asking for a new setting); and add
 * with the cache settings, which builds the cache during the scan (`datasets add --resolution`).
 * The second must give the same cache, byte for byte.
 *
 *   npx tsx bench/datasets.ts [--count=5000] [--size=128] [--resolution=64]
 *
 * Prints a table (images/s and CPU time per image for each phase and overall, peak RSS) and writes
 * bench/results/datasets.json. CPU time counts every thread of the process (main, workers,
 * libvips and libuv), so it varies less than wall time on a machine shared with other work.
 * Goal: ≥ 500 images/s for scan + cache in one pass, peak RSS < 400 MB.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DatasetService } from '../main/datasets/service.js';
import { openDatabase } from '../main/store/database.js';
import { DatasetStore } from '../main/store/datasets.js';

function arg(name: string, fallback: number): number {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

const count = arg('count', 5000);
const size = arg('size', 128);
const resolution = arg('resolution', 64);
const goalImagesPerSecond = 500;
const goalRssMb = 400;
/** Event-loop delay is sampled with a timer of this interval; the figures include it. */
const lagTimerMs = 10;

/** Photo-like content: smooth gradients and shapes with mild noise, so PNG compresses as usual. */
function photoLike(seed: number): Buffer {
  const data = Buffer.alloc(size * size * 3);
  // mulberry32: 32-bit integer arithmetic, so every seed gives its own image.
  let state = (seed + 1) >>> 0;
  const rand = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const cx = rand() * size;
  const cy = rand() * size;
  const r = size * (0.15 + rand() * 0.3);
  const base = [rand() * 255, rand() * 255, rand() * 255];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      for (let c = 0; c < 3; c++) {
        const v = inside ? 255 - base[c]! : base[c]! * (0.6 + (0.4 * (x + y)) / (2 * size));
        data[i + c] = Math.max(0, Math.min(255, v + (rand() - 0.5) * 16));
      }
    }
  }
  return data;
}

async function generate(dir: string): Promise<number> {
  const started = Date.now();
  const queue = Array.from({ length: count }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const sub = path.join(dir, `set${Math.floor(i / 500)}`);
        fs.mkdirSync(sub, { recursive: true });
        await sharp(photoLike(i), { raw: { width: size, height: size, channels: 3 } })
          .png()
          .toFile(path.join(sub, `img${String(i).padStart(5, '0')}.png`));
      }
    }),
  );
  return Date.now() - started;
}

/** Samples RSS (the whole process: main thread, cache worker and libvips) every 20 ms. */
function rssSampler(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-bench-datasets-'));
  const folder = path.join(root, 'images');
  try {
    console.log(`Generating ${count} ${size}×${size} PNGs in ${folder} ...`);
    const generateMs = await generate(folder);
    const folderBytes = fs
      .readdirSync(folder, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .reduce((sum, d) => sum + fs.statSync(path.join(d.parentPath, d.name)).size, 0);

    const conn = openDatabase(path.join(root, 'data'));
    const service = new DatasetService({
      conn,
      datasets: new DatasetStore(conn),
      dataDir: path.join(root, 'data'),
      emit: () => {},
    });
    const rssBefore = process.memoryUsage().rss;
    const sampler = rssSampler();

    // CPU time of the whole process (all threads): steadier than wall time on a shared machine.
    // 1. Scan, then build the cache in its worker: what a training start does for a new setting.
    const scanCpu = process.cpuUsage();
    const scanStart = performance.now();
    const { id } = await service.add({ path: folder, minSize: 16 });
    await service.waitForScan(id);
    const scanMs = performance.now() - scanStart;
    const scanCpuMs = cpuMs(process.cpuUsage(scanCpu));
    const detail = service.get(id);
    if (detail.status !== 'ready' || detail.imageCount !== count) {
      throw new Error(`scan ended ${detail.status} with ${detail.imageCount} images: ${detail.error ?? ''}`);
    }

    const cacheCpu = process.cpuUsage();
    const cacheStart = performance.now();
    const cache = await service.buildCache({ id, resolution, crop: 'center' });
    const cacheMs = performance.now() - cacheStart;
    const cacheCpuMs = cpuMs(process.cpuUsage(cacheCpu));
    const cacheBytes = fs.statSync(cache.file).size;

    const rescanStart = performance.now();
    await service.rescan(id);
    await service.waitForScan(id);
    const rescanMs = performance.now() - rescanStart;

    await service.close();
    conn.close();

    // 2. Add with the cache settings (`gan-studio datasets add DIR --resolution 64`): the cache is
    // built during the scan, from the pixels the scan decodes anyway. A fresh data folder, so
    // nothing is reused from run 1; the images are in the page cache for both runs.
    const onePassConn = openDatabase(path.join(root, 'data-one-pass'));
    const onePass = new DatasetService({
      conn: onePassConn,
      datasets: new DatasetStore(onePassConn),
      dataDir: path.join(root, 'data-one-pass'),
      emit: () => {},
    });
    // The one-pass build assembles mosaics on the scanning (main) thread: watch its event loop.
    const lag = monitorEventLoopDelay({ resolution: lagTimerMs });
    lag.enable();
    const onePassCpu = process.cpuUsage();
    const onePassStart = performance.now();
    const added = await onePass.add({ path: folder, minSize: 16, cache: { resolution, crop: 'center' } });
    await onePass.waitForScan(added.id);
    const onePassCache = await onePass.buildCache({ id: added.id, resolution, crop: 'center' });
    const onePassMs = performance.now() - onePassStart;
    const onePassCpuMs = cpuMs(process.cpuUsage(onePassCpu));
    lag.disable();
    const lagMs = {
      timerIntervalMs: lagTimerMs,
      p50: +(lag.percentile(50) / 1e6).toFixed(1),
      p99: +(lag.percentile(99) / 1e6).toFixed(1),
      max: +(lag.max / 1e6).toFixed(1),
    };
    const peakRss = sampler.stop();
    if (onePassCache.count !== count || onePassCache.key !== cache.key) {
      throw new Error(
        `one-pass cache has ${onePassCache.count} images, key ${onePassCache.key} (wanted ${cache.key})`,
      );
    }
    if (
      !fs
        .readFileSync(onePassCache.file)
        .subarray(-count * resolution * resolution * 3)
        .equals(fs.readFileSync(cache.file).subarray(-count * resolution * resolution * 3))
    ) {
      throw new Error('the one-pass cache differs from the cache built after the scan');
    }
    await onePass.close();
    onePassConn.close();

    const rows = [
      { phase: 'scan', ms: scanMs, cpu: scanCpuMs },
      { phase: `cache ${resolution} px (worker)`, ms: cacheMs, cpu: cacheCpuMs },
      { phase: 'scan, then cache', ms: scanMs + cacheMs, cpu: scanCpuMs + cacheCpuMs },
      { phase: 'scan + cache, one pass', ms: onePassMs, cpu: onePassCpuMs },
      { phase: 'rescan (unchanged)', ms: rescanMs, cpu: undefined },
    ].map((r) => ({
      ...r,
      imagesPerSecond: Math.round((count * 1000) / r.ms),
      cpuMsPerImage: r.cpu === undefined ? undefined : +(r.cpu / count).toFixed(3),
    }));

    console.log(
      `\nDataset engine: ${count} PNGs of ${size}×${size} (${mb(folderBytes)} MB), ${os.cpus().length} cores, Node ${process.version}`,
    );
    console.log('phase                         seconds   images/s   CPU ms/image');
    for (const r of rows)
      console.log(
        `${r.phase.padEnd(28)} ${(r.ms / 1000).toFixed(2).padStart(8)} ${String(r.imagesPerSecond).padStart(10)}` +
          (r.cpuMsPerImage === undefined ? '' : `   ${r.cpuMsPerImage.toFixed(2).padStart(12)}`),
      );
    console.log(
      `peak RSS (both runs)     ${mb(peakRss)} MB (before: ${mb(rssBefore)} MB; process max ${mb(process.resourceUsage().maxRSS * 1024)} MB incl. generation)`,
    );
    console.log(
      `main-thread event-loop delay, one pass (${lagTimerMs} ms timer included): p50 ${lagMs.p50} ms, p99 ${lagMs.p99} ms, max ${lagMs.max} ms`,
    );
    console.log(`cache file               ${mb(cacheBytes)} MB, ${cache.count} images`);
    const overall = (count * 1000) / onePassMs;
    const pass = overall >= goalImagesPerSecond && mb(peakRss) < goalRssMb;
    console.log(`goal ≥ ${goalImagesPerSecond} images/s and < ${goalRssMb} MB: ${pass ? 'met' : 'NOT met'}`);

    const results = {
      benchmark: 'datasets',
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      input: { count, size, format: 'png', folderBytes, generateMs: Math.round(generateMs) },
      resolution,
      cache: { count: cache.count, bytes: cacheBytes },
      phases: rows.map((r) => ({
        phase: r.phase,
        seconds: +(r.ms / 1000).toFixed(3),
        imagesPerSecond: r.imagesPerSecond,
        ...(r.cpuMsPerImage === undefined ? {} : { cpuMsPerImage: r.cpuMsPerImage }),
      })),
      imagesPerSecond: Math.round(overall),
      peakRssMb: mb(peakRss),
      onePassMainThreadLagMs: lagMs,
      rssBeforeMb: mb(rssBefore),
      goal: { imagesPerSecond: goalImagesPerSecond, rssMb: goalRssMb, met: pass },
    };
    const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
    fs.mkdirSync(outDir, { recursive: true });
    const outFile = path.join(outDir, 'datasets.json');
    fs.writeFileSync(`${outFile}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
    fs.renameSync(`${outFile}.tmp`, outFile);
    console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
