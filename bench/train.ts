/**
 * Training throughput of GAN Studio's engine against the same DCGAN in PyTorch on the CPU.
 *
 *   npx tsx bench/train.ts [--res 32|64] [--iters N] [--rounds R] [--backends wasm,cpu] [--threads N]
 *                          [--profile]
 *
 * For each resolution (32 and 64 unless --res) it alternates R rounds of: the engine on each
 * backend (each in a fresh child process), then bench/torch_dcgan.py (Debian's python3-torch,
 * one thread, like the wasm backend). Batch 64, width 1, latent 100, BCE, no DiffAugment and no
 * EMA (the PyTorch reference has neither); warm-up iterations are not timed. Every backend runs
 * as the app's default does on two cores: wasm on one thread. --threads N (2 to 8) adds a row
 * for wasm on N threads (the threaded build of main/training/wasm-threads.ts), compared with
 * both the one-thread PyTorch reference and one-thread wasm. It prints the parameter counts, a
 * table, and writes the measured resolutions into bench/results/train.json (others are kept):
 * the first backend's figures at the top of each resolution, the other rows under
 * other_backends. --profile also prints the per-kernel time of one iteration on wasm.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { backendNames, trainConfigSchema, type BackendName } from '../shared/config.js';
import { probeBackends } from '../main/training/host/probe.js';
import { selectBackend } from '../main/training/worker/backends.js';
import { GanTrainer, trainSteps } from '../main/training/engine/trainer.js';
import { noiseImages } from '../main/training/engine/data.js';
import { profileKernels } from '../main/training/engine/profile.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const python = '/usr/bin/python3';
const batch = 64;

interface Measurement {
  images_per_s: number;
  params_g: number;
  params_d: number;
}

/** One row of the table: a backend, on `threads` CPU threads where that is ours to choose. */
interface Variant {
  backend: BackendName;
  threads: number;
  label: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function trainer(resolution: 32 | 64): GanTrainer {
  const config = trainConfigSchema.parse({
    resolution,
    batchSize: batch,
    width: 1,
    latentSize: 100,
    loss: 'bce',
    diffAugment: 'off',
    emaDecay: 0,
  });
  return GanTrainer.create(config, noiseImages(256, resolution), 256);
}

/** Child mode: one backend, one resolution; prints a Measurement as JSON. */
async function child(): Promise<void> {
  const backend = (arg('backend') ?? 'wasm') as BackendName;
  const resolution = Number(arg('res') ?? 32) as 32 | 64;
  const iters = Number(arg('iters') ?? 10);
  const threads = Number(arg('threads') ?? 1);
  const selected = await selectBackend(backend, { threads });
  if (selected.backend !== backend)
    throw new Error(`${backend} did not start: ${selected.notes.map((n) => n.reason).join(' ')}`);
  // A silent fallback to one thread would measure the wrong thing.
  if (backend === 'wasm' && selected.threads !== threads)
    throw new Error(
      `wasm runs ${selected.threads} threads, not ${threads}: ${selected.notes.map((n) => n.reason).join(' ')}`,
    );
  const t = trainer(resolution);
  await trainSteps(t, 3);
  const start = performance.now();
  await trainSteps(t, iters);
  const seconds = (performance.now() - start) / 1000;
  const out: Measurement = {
    images_per_s: (batch * iters) / seconds,
    params_g: t.generator.paramCount,
    params_d: t.discriminator.paramCount,
  };
  if (process.argv.includes('--profile')) await profile(t);
  t.dispose();
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

/** Kernel time of one iteration, summed by kernel, to stderr. */
async function profile(t: GanTrainer): Promise<void> {
  const started = performance.now();
  const kernels = await profileKernels(() => t.step());
  const wall = performance.now() - started;
  const total = kernels.reduce((s, e) => s + e.ms, 0);
  const lines = kernels.map(
    (e) =>
      `  ${e.name.padEnd(22)} ${String(e.calls).padStart(5)} ${e.ms.toFixed(1).padStart(9)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)} %`,
  );
  process.stderr.write(
    `Profile of one iteration on ${tf.getBackend()} (kernel time ${total.toFixed(0)} ms of ${wall.toFixed(0)} ms wall, profiler on):\n` +
      `  ${'kernel'.padEnd(22)} calls     total       share\n${lines.join('\n')}\n`,
  );
}

async function engine(
  { backend, threads }: Variant,
  resolution: number,
  iters: number,
  withProfile: boolean,
): Promise<Measurement> {
  const args = [
    '--import',
    'tsx',
    path.join(here, 'train.ts'),
    '--child',
    '--backend',
    backend,
    '--threads',
    String(threads),
    '--res',
    String(resolution),
    '--iters',
    String(iters),
  ];
  if (withProfile) args.push('--profile');
  const { stdout, stderr } = await run(process.execPath, args, { maxBuffer: 1 << 24 });
  if (withProfile)
    process.stdout.write(
      stderr
        .split('\n')
        .filter((l) => !l.startsWith('var Module'))
        .join('\n'),
    );
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`The ${backend} run printed no result:\n${stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7)) as Measurement;
}

async function torch(resolution: number, iters: number): Promise<Measurement | string> {
  if (!fs.existsSync(python))
    return `${python} is missing; install Debian's PyTorch: apt-get install python3-torch`;
  try {
    const { stdout } = await run(python, [
      path.join(here, 'torch_dcgan.py'),
      '--res',
      String(resolution),
      '--iters',
      String(iters),
      '--threads',
      '1',
    ]);
    const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measurement & { error?: string };
    return out.error ?? out;
  } catch (error) {
    const text = (error as { stdout?: string }).stdout ?? String(error);
    return text.includes('not installed') ? 'PyTorch is not installed: apt-get install python3-torch' : text;
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

async function main(): Promise<void> {
  const resolutions = arg('res') ? [Number(arg('res'))] : [32, 64];
  const iters = Number(arg('iters') ?? 10);
  const rounds = Number(arg('rounds') ?? 2);
  const asked = arg('backends')?.split(',') as BackendName[] | undefined;
  const available = (await probeBackends()).filter((b) => b.available).map((b) => b.name);
  // The JS cpu backend is a correctness reference, minutes per iteration here: only on request.
  const backends = asked ?? backendNames.filter((b) => b !== 'cpu' && available.includes(b));
  const variants: Variant[] = backends.map((backend) => ({ backend, threads: 1, label: backend }));
  const threads = Number(arg('threads') ?? 1);
  if (threads > 1) variants.push({ backend: 'wasm', threads, label: `wasm ×${threads} threads` });
  const out = path.join(here, 'results', 'train.json');
  // Resolutions not measured this time keep their earlier figures.
  const results: Record<string, unknown> = fs.existsSync(out)
    ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>)
    : {};
  const rows: string[] = [];
  for (const resolution of resolutions) {
    const engineRuns = new Map<Variant, number[]>();
    const torchRuns: number[] = [];
    let params: Measurement | undefined;
    let torchParams: Measurement | undefined;
    let torchNote: string | undefined;
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        const m = await engine(
          variant,
          resolution,
          iters,
          round === 0 &&
            variant.backend === 'wasm' &&
            variant.threads === 1 &&
            resolution === resolutions[0] &&
            process.argv.includes('--profile'),
        );
        params = m;
        engineRuns.set(variant, [...(engineRuns.get(variant) ?? []), m.images_per_s]);
      }
      const t = await torch(resolution, iters);
      if (typeof t === 'string') torchNote = t;
      else {
        torchParams = t;
        torchRuns.push(t.images_per_s);
      }
    }
    console.log(
      `\nDCGAN-${resolution}, batch ${batch}: parameters G ${params?.params_g} D ${params?.params_d} (engine), G ${torchParams?.params_g ?? '–'} D ${torchParams?.params_d ?? '–'} (PyTorch)`,
    );
    if (torchNote) console.log(`PyTorch reference unavailable: ${torchNote}`);
    const torchIps = torchRuns.length > 0 ? median(torchRuns) : null;
    const oneThreadRuns = [...engineRuns.entries()].find(([v]) => v.backend === 'wasm' && v.threads === 1);
    const oneThreadIps = oneThreadRuns ? median(oneThreadRuns[1]) : null;
    const entries = [...engineRuns.entries()].map(([variant, runs]) => {
      const ips = median(runs);
      const threaded = variant.threads > 1;
      rows.push(
        `${String(resolution).padEnd(4)} ${variant.label.padEnd(16)} ${ips.toFixed(1).padStart(8)} ${(torchIps?.toFixed(1) ?? '–').padStart(10)} ${(torchIps ? (ips / torchIps).toFixed(2) : '–').padStart(7)} ${(threaded && oneThreadIps ? (ips / oneThreadIps).toFixed(2) : '').padStart(10)}   ${runs.map((r) => r.toFixed(1)).join(', ')} | ${torchRuns.map((r) => r.toFixed(1)).join(', ')}`,
      );
      return {
        backend: variant.label,
        images_per_s: ips,
        torch_images_per_s: torchIps,
        ratio_vs_torch: torchIps ? ips / torchIps : null,
        params_g: params?.params_g ?? null,
        params_d: params?.params_d ?? null,
        // Only on threaded rows: the default rows keep exactly their fields.
        ...(threaded
          ? {
              threads: variant.threads,
              ratio_vs_wasm_1_thread: oneThreadIps ? ips / oneThreadIps : null,
            }
          : {}),
      };
    });
    const [first, ...others] = entries;
    results[String(resolution)] = { ...first, ...(others.length > 0 ? { other_backends: others } : {}) };
  }
  console.log(
    `\nres  backend          images/s  torch i/s   ratio  vs 1 thread   runs (engine | torch)\n${rows.join('\n')}`,
  );
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nWrote ${path.relative(process.cwd(), out)}`);
}

if (process.argv.includes('--child')) await child();
else await main();
