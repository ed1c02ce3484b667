/**
 * Experiment 4: GAN Studio's own DCGAN-32 training step (batch 64, width 1, BCE, no augment, no
 * EMA: bench/train.ts's setup) in a worker thread, on
 *   stock  the stock single-threaded SIMD wasm build (what the app uses),
 *   t1     the threaded-SIMD build through threaded-wasm.mjs, 1 thread,
 *   t2     the same with 2 threads (logical-core import overridden, see threaded-wasm.mjs),
 * each in a fresh child process, alternating for R rounds. The main thread stays idle and
 * records its event-loop delay while the worker trains (what the UI would feel). The loss after
 * the last step shows whether the arithmetic is the same.
 *
 *   npx tsx bench/threads/04-train.ts [--rounds 2] [--steps 6] [--warmup 2] [--res 32] [--batch 64]
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startWorker } from '../../main/common/worker-start.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

interface Result {
  kind: string;
  threads: number;
  imagesPerS: number;
  losses: { step: number; dLoss: number; gLoss: number };
  processRssMB: number;
  lagMs: { p50: number; p99: number; max: number };
}

async function child(): Promise<void> {
  const kind = arg('kind', 'stock');
  const worker = startWorker(new URL('./04-train-worker', import.meta.url), {
    workerData: {
      kind,
      warmup: Number(arg('warmup', '2')),
      steps: Number(arg('steps', '6')),
      resolution: Number(arg('res', '32')),
      batch: Number(arg('batch', '64')),
    },
  });
  const lag = monitorEventLoopDelay({ resolution: 5 });
  const result = await new Promise<Result>((resolve, reject) => {
    worker.on('message', (m: { type: string } & Result) => {
      if (m.type === 'timing-starts') lag.enable();
      if (m.type === 'result') {
        lag.disable();
        resolve({
          ...m,
          lagMs: {
            p50: lag.percentile(50) / 1e6,
            p99: lag.percentile(99) / 1e6,
            max: lag.max / 1e6,
          },
        });
      }
    });
    worker.on('error', reject);
  });
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

async function main(): Promise<void> {
  const run = promisify(execFile);
  const rounds = Number(arg('rounds', '2'));
  const pass = ['steps', 'warmup', 'res', 'batch'].flatMap((k) =>
    process.argv.includes(`--${k}`) ? [`--${k}`, arg(k, '')] : [],
  );
  const kinds = ['stock', 't1', 't2'];
  const all: Record<string, Result[]> = { stock: [], t1: [], t2: [] };
  const loads: string[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const kind of kinds) {
      loads.push(os.loadavg()[0]!.toFixed(2));
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--kind', kind, ...pass],
        { maxBuffer: 1 << 24 },
      );
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) throw new Error(`no result from ${kind}: ${stdout}`);
      const res = JSON.parse(line.slice(7)) as Result;
      all[kind]!.push(res);
      console.error(`round ${r + 1} ${kind}: ${line.slice(7)}`);
    }
  }
  const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  console.log(`1-min load average at each child start: ${loads.join(' ')}`);
  console.log(
    'config  threads  images/s (median, all)            main-thread lag p99 ms   RSS MB   loss after last step',
  );
  for (const kind of kinds) {
    const rs = all[kind]!;
    const ips = rs.map((r) => r.imagesPerS);
    const l = rs[0]!.losses;
    console.log(
      `${kind.padEnd(7)} ${String(rs[0]!.threads).padStart(7)}  ${med(ips).toFixed(1).padStart(8)}  (${ips.map((v) => v.toFixed(1)).join(', ')})`.padEnd(
        50,
      ) +
        `${med(rs.map((r) => r.lagMs.p99))
          .toFixed(1)
          .padStart(10)}  ${med(rs.map((r) => r.processRssMB))
          .toFixed(0)
          .padStart(10)}   D ${l.dLoss.toFixed(6)} G ${l.gLoss.toFixed(6)} (step ${l.step})`,
    );
  }
}

if (process.argv.includes('--child')) await child();
else await main();
