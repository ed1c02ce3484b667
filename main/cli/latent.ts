import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { syncFolder, writeFileAtomic } from '../common/atomic-files.js';
import { api, resolveRun, until, UsageError, withStudio } from './common.js';
import { manifestFileName } from '../latent/files.js';

/**
 * The latent commands of the CLI — `latent interpolate|sample|check`, `generate` and `export` —
 * through the same API router as the UI. The API writes only under the data folder (latent/files.ts);
 * these commands then put the result where --out says, on the user's behalf:
 *   - a file (GIF, WebP, PNG strip, sample) is copied to --out, replacing a file there;
 *   - a generated set or an exported model goes to --out only if that folder is new or empty,
 *     so nothing of the user's is overwritten; a set is moved (or copied, manifest last, across
 *     disks), so --out is complete exactly when its manifest.json is there.
 */

export const latentUsage = `  gan-studio latent interpolate RUN --seeds 1,2,3 --out walk.gif [--frames N] [--truncation X]
      [--lerp] [--checkpoint STEP] [--weights ema|g] [--frame-ms MS] [--scale N]
      A walk through the seeds' latents (slerp unless --lerp), N frames per segment (default 12):
      .gif or .webp animates it, .png lays the frames out in a strip.
  gan-studio latent sample RUN --seed S --out sample.png [--truncation X] [--scale N] [--checkpoint STEP]
  gan-studio latent check RUN --seeds 1,2,3 [--threshold X] [--truncation X] [--json]
      Memorisation check: each seed's nearest training image and its distance; near-copies flagged.
  gan-studio generate RUN --count N [--out DIR] [--truncation X] [--seed-start S] [--checkpoint STEP]
      A data set of N PNGs (up to 100,000) with manifest.json (seed, truncation, run, step per file).
      DIR must be new or empty; without --out the set stays in the data folder's generated/.
      Ctrl-C cancels, leaving no set behind.
  gan-studio export RUN --format tfjs [--out DIR] [--checkpoint STEP] [--weights ema|g]
      The generator as a TensorFlow.js LayersModel (model.json + weights) for tf.loadLayersModel.
`;

const options = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  seeds: { type: 'string' },
  seed: { type: 'string' },
  frames: { type: 'string' },
  out: { type: 'string' },
  truncation: { type: 'string' },
  lerp: { type: 'boolean', default: false },
  checkpoint: { type: 'string' },
  weights: { type: 'string' },
  'frame-ms': { type: 'string' },
  scale: { type: 'string' },
  count: { type: 'string' },
  'seed-start': { type: 'string' },
  format: { type: 'string' },
  threshold: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

export async function latentCli(command: string, args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const cli = new LatentCommands(values);
  if (command === 'generate') return cli.generate(positionals[0]);
  if (command === 'export') return cli.exportModel(positionals[0]);
  const [sub, run] = positionals;
  if (sub === 'interpolate') return cli.interpolate(run);
  if (sub === 'sample') return cli.sample(run);
  if (sub === 'check') return cli.check(run);
  throw new UsageError(
    `Unknown latent command "${sub ?? ''}". Use: latent interpolate | latent sample | latent check`,
  );
}

class LatentCommands {
  constructor(private readonly values: Values) {}

  private number(flag: keyof Values, options: { integer?: boolean } = {}): number | undefined {
    const raw = this.values[flag];
    if (raw === undefined || typeof raw === 'boolean') return undefined;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || (options.integer && !Number.isInteger(value))) {
      throw new UsageError(
        `--${flag} needs ${options.integer ? 'a whole number' : 'a number'}, not "${raw}".`,
      );
    }
    return value;
  }

  private seeds(): number[] {
    const raw = this.values.seeds;
    if (raw === undefined) throw new UsageError('Give the seeds: --seeds 1,2,3');
    const seeds = raw.split(',').map((s) => Number(s.trim()));
    if (seeds.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new UsageError(`--seeds takes whole numbers separated by commas, like 1,2,3, not "${raw}".`);
    }
    return seeds;
  }

  /** The generator flags every command shares. */
  private generator(runId: string) {
    const step = this.number('checkpoint', { integer: true });
    const weights = this.values.weights;
    if (weights !== undefined && weights !== 'ema' && weights !== 'g') {
      throw new UsageError('--weights is ema (the averaged generator, the default) or g (the raw one).');
    }
    return {
      runId,
      ...(step !== undefined ? { step } : {}),
      ...(weights !== undefined ? { weights: weights as 'ema' | 'g' } : {}),
    };
  }

  private truncation(): { truncation?: number } {
    const truncation = this.number('truncation');
    return truncation === undefined ? {} : { truncation };
  }

  private print(value: unknown, text: string): void {
    process.stdout.write(this.values.json ? `${JSON.stringify(value)}\n` : `${text}\n`);
  }

  async interpolate(ref: string | undefined): Promise<void> {
    const usage = 'gan-studio latent interpolate RUN --seeds 1,2,3 --out walk.gif';
    const out = this.values.out;
    if (!out) throw new UsageError(`Say where the walk goes: ${usage}`);
    const ext = path.extname(out).toLowerCase();
    const format = ext === '.gif' ? 'gif' : ext === '.webp' ? 'webp' : ext === '.png' ? 'strip' : null;
    if (format === null) {
      throw new UsageError('--out must end in .gif or .webp (an animation) or .png (a strip of the frames).');
    }
    const seeds = this.seeds();
    const frames = this.number('frames', { integer: true });
    const frameMs = this.number('frame-ms', { integer: true });
    const scale = this.number('scale', { integer: true });
    await withStudio(this.values['data-dir'], async (studio) => {
      const runId = await resolveRun(studio, ref, usage);
      const result = await api(studio, 'latent.export', {
        ...this.generator(runId),
        ...this.truncation(),
        seeds,
        mode: this.values.lerp ? 'lerp' : 'slerp',
        format,
        ...(frames !== undefined ? { framesPerSegment: frames } : {}),
        ...(frameMs !== undefined ? { frameMs } : {}),
        ...(scale !== undefined ? { scale } : {}),
      });
      const target = path.resolve(out);
      await writeFileAtomic(target, await fs.promises.readFile(result.path));
      this.print(
        { ...result, path: target },
        `Wrote ${target}: ${result.frames} frames of ${result.width}×${result.height} px from step ${result.step} (${result.backend}).`,
      );
    });
  }

  async sample(ref: string | undefined): Promise<void> {
    const usage = 'gan-studio latent sample RUN --seed S --out sample.png';
    const out = this.values.out;
    const seed = this.number('seed', { integer: true });
    if (!out || seed === undefined) throw new UsageError(`Give the seed and the file: ${usage}`);
    const scale = this.number('scale', { integer: true });
    await withStudio(this.values['data-dir'], async (studio) => {
      const runId = await resolveRun(studio, ref, usage);
      const result = await api(studio, 'latent.exportSample', {
        ...this.generator(runId),
        ...this.truncation(),
        seed,
        ...(scale !== undefined ? { scale } : {}),
      });
      const target = path.resolve(out);
      await writeFileAtomic(target, await fs.promises.readFile(result.path));
      this.print(
        { ...result, path: target },
        `Wrote ${target} (${result.width}×${result.height} px, seed ${seed}).`,
      );
    });
  }

  async check(ref: string | undefined): Promise<void> {
    const usage = 'gan-studio latent check RUN --seeds 1,2,3';
    const seeds = this.seeds();
    const threshold = this.number('threshold');
    await withStudio(this.values['data-dir'], async (studio) => {
      const runId = await resolveRun(studio, ref, usage);
      const result = await api(studio, 'latent.nearest', {
        ...this.generator(runId),
        ...this.truncation(),
        seeds,
        ...(threshold !== undefined ? { threshold } : {}),
      });
      const copies = result.matches.filter((m) => m.nearCopy);
      const lines = [
        `Nearest of ${result.trainingCount} training images of "${result.datasetName}" (RMS pixel distance, 0–1; near-copy under ${result.threshold}):`,
        ...result.matches.map(
          (m) =>
            `  seed ${String(m.seed).padStart(10)}  image #${String(m.nearestIndex).padEnd(6)} ${m.distance.toFixed(4)}${m.nearCopy ? '  NEAR-COPY' : ''}`,
        ),
        copies.length > 0
          ? `${copies.length} of ${result.matches.length} samples are near-copies of training images: the generator has memorised them.`
          : 'No sample is a near-copy of a training image.',
      ];
      this.print(
        { ...result, matches: result.matches.map(({ url: _u, nearestUrl: _n, ...m }) => m) },
        lines.join('\n'),
      );
    });
  }

  async generate(ref: string | undefined): Promise<void> {
    const usage = 'gan-studio generate RUN --count N --out DIR';
    const count = this.number('count', { integer: true });
    if (count === undefined) throw new UsageError(`Say how many images: ${usage}`);
    const seedStart = this.number('seed-start', { integer: true });
    const out = this.values.out ? path.resolve(this.values.out) : null;
    // Before any work: a set never lands on top of the user's files.
    if (out) requireNewOrEmpty(out);
    await withStudio(this.values['data-dir'], async (studio) => {
      const runId = await resolveRun(studio, ref, usage);
      const job = await api(studio, 'latent.generate', {
        ...this.generator(runId),
        ...this.truncation(),
        count,
        ...(seedStart !== undefined ? { seedStart } : {}),
      });
      const unsubscribe = studio.events.subscribe((e) => {
        if (this.values.json || e.name !== 'latent.progress' || e.payload.jobId !== job.id) return;
        const { done, total, imagesPerSecond, etaSeconds } = e.payload;
        const eta = etaSeconds === null ? '' : `  ETA ${Math.round(etaSeconds)} s`;
        process.stderr.write(`\r${done}/${total} images  ${imagesPerSecond.toFixed(1)} img/s${eta}   `);
      });
      let interrupted = false;
      const onSigint = () => {
        if (interrupted) return;
        interrupted = true;
        process.stderr.write('\nCancelling: removing the images written so far…\n');
        void api(studio, 'latent.cancel', { jobId: job.id }).catch(() => undefined);
      };
      process.on('SIGINT', onSigint);
      let final;
      try {
        final = await until(
          studio,
          'latent.job',
          async () =>
            (await api(studio, 'latent.jobs', {})).find((j) => j.id === job.id && j.status !== 'running') ??
            null,
          (payload) => payload.job.id === job.id,
        );
      } finally {
        process.off('SIGINT', onSigint);
        unsubscribe();
      }
      if (!this.values.json) process.stderr.write('\n');
      if (final.status !== 'finished') {
        process.exitCode = 1;
        this.print(
          final,
          final.status === 'cancelled'
            ? 'Cancelled: no data set was written.'
            : `Generating failed: ${final.error ?? 'unknown error'}`,
        );
        return;
      }
      const folder = out ? await moveSet(final.folder, out) : final.folder;
      this.print(
        { ...final, folder },
        `Wrote ${final.count} images and ${manifestFileName} to ${folder} (run "${final.runName}", step ${final.step}, ` +
          `truncation ${final.truncation}, seeds ${final.seedStart}–${final.seedStart + final.count - 1}).\n` +
          `Browse it as a dataset: gan-studio datasets add ${JSON.stringify(folder)}`,
      );
    });
  }

  async exportModel(ref: string | undefined): Promise<void> {
    const usage = 'gan-studio export RUN --format tfjs --out DIR';
    if (this.values.format !== 'tfjs') {
      throw new UsageError(`Only --format tfjs (a TensorFlow.js LayersModel) is exported: ${usage}`);
    }
    const out = this.values.out ? path.resolve(this.values.out) : null;
    if (out) requireNewOrEmpty(out);
    await withStudio(this.values['data-dir'], async (studio) => {
      const runId = await resolveRun(studio, ref, usage);
      const result = await api(studio, 'latent.exportModel', {
        ...this.generator(runId),
        format: 'tfjs',
      });
      let folder = result.folder;
      if (out) {
        await fs.promises.mkdir(out, { recursive: true });
        for (const file of result.files) {
          await writeFileAtomic(path.join(out, file.fileName), await fs.promises.readFile(file.path));
        }
        folder = out;
      }
      this.print(
        { ...result, folder },
        `Wrote a TensorFlow.js LayersModel of run step ${result.step} to ${folder}: ${result.files.map((f) => f.fileName).join(', ')}.\n` +
          `Load it with tf.loadLayersModel('…/model.json'); it maps [batch, ${result.latentSize}] latents to ` +
          `[batch, ${result.resolution}, ${result.resolution}, 3] images in [-1, 1].`,
      );
    });
  }
}

/** --out for a folder: one that does not exist yet (its parent must), or an empty one. */
function requireNewOrEmpty(folder: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (!fs.existsSync(path.dirname(folder))) {
        throw new UsageError(`--out ${folder}: its parent folder does not exist. Create it first.`);
      }
      return;
    }
    if (code === 'ENOTDIR') throw new UsageError(`--out ${folder} is a file; name a new or empty folder.`);
    throw error;
  }
  if (entries.length > 0) {
    throw new UsageError(
      `--out ${folder} is not empty (${entries.length} entries). Name a new or empty folder, so nothing there is overwritten.`,
    );
  }
}

/**
 * Moves a finished set from the data folder to `target` (new or empty). A rename where both are
 * on one disk; otherwise a copy, images first and the manifest last (atomically), then the
 * original is removed: the target has its manifest only once every image is there.
 */
async function moveSet(source: string, target: string): Promise<string> {
  await fs.promises.rmdir(target).catch(() => undefined); // empty, checked before generating
  try {
    await fs.promises.rename(source, target);
    await syncFolder(path.dirname(target));
    return target;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
  }
  await fs.promises.mkdir(target, { recursive: true });
  const names = (await fs.promises.readdir(source)).filter((n) => n !== manifestFileName);
  for (const name of names) await fs.promises.copyFile(path.join(source, name), path.join(target, name));
  await writeFileAtomic(
    path.join(target, manifestFileName),
    await fs.promises.readFile(path.join(source, manifestFileName)),
  );
  await fs.promises.rm(source, { recursive: true, force: true });
  return target;
}
