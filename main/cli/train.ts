import {
  continuableFields,
  maxResolution,
  modelFamilies,
  modelFamilyLabels,
  resolutions,
  trainConfigPatchSchema,
  type ContinueChanges,
  type TrainConfigInput,
} from '../../shared/config.js';
import type { RunDetail, RunSummary } from '../../shared/types.js';
import { hasGpuBackend, proposeSettings, typicalSide, type Proposal } from '../../shared/proposal.js';
import type { Studio } from '../studio.js';
import { addDataset } from './datasets.js';
import { api, openStudio, parse, printJson, resolveRun, until, UsageError } from './common.js';
import { runLine, warningText } from './runs-text.js';

export const trainUsage = `  gan-studio train (--data DIR | --dataset ID | --resume RUN) [--preset quick|standard|detailed]
      [--model ${modelFamilies.join('|')}] [--resolution ${resolutions.join('|')}] [--steps N]
      [--backend auto|tensorflow|webgpu|wasm|cpu] [--json]
      [--lr X] [--lr-g X] [--lr-d X] [--batch-size N] [--loss bce|minimax|hinge] [--latent-size N]
      [--width X] [--seed N] [--ema-decay X] [--diff-augment auto|on|off] [--sample-every N]
      [--metrics-every N] [--checkpoint-minutes X] [--keep-checkpoints N] [--crop MODE] [--flip]
      [--threads N]   (wasm CPU threads; 0 = auto: all cores but one)
      --model: ${modelFamilies.map((m) => `${m} = ${modelFamilyLabels[m]}`).join('; ')}
      (DCGAN up to ${maxResolution.dcgan} px, FastGAN-lite up to ${maxResolution.fastgan} px).
      --preset says what you want (quick: a first look; standard: a good result; detailed: the
      most detail); the settings for it are proposed from the dataset and this machine, and the
      reasons printed; any flag given overrides them.
      Ctrl-C writes a checkpoint and exits; resume with --resume RUN.
      With --resume RUN, continue a paused, stopped, failed or finished run from its latest
      checkpoint (or --from-step N); only --steps, --lr, --lr-g, --lr-d, --backend, --threads,
      --metrics-every, --sample-every, --checkpoint-minutes and --keep-checkpoints may change.
`;

/** CLI flags for config fields: kebab-case flag → config key, and how to read its value. */
const configFlags: Record<
  string,
  { key: keyof TrainConfigInput | 'lr'; kind: 'number' | 'string' | 'boolean' }
> = {
  model: { key: 'model', kind: 'string' },
  resolution: { key: 'resolution', kind: 'number' },
  steps: { key: 'steps', kind: 'number' },
  backend: { key: 'backend', kind: 'string' },
  lr: { key: 'lr', kind: 'number' },
  'lr-g': { key: 'lrG', kind: 'number' },
  'lr-d': { key: 'lrD', kind: 'number' },
  beta1: { key: 'beta1', kind: 'number' },
  beta2: { key: 'beta2', kind: 'number' },
  'batch-size': { key: 'batchSize', kind: 'number' },
  loss: { key: 'loss', kind: 'string' },
  'latent-size': { key: 'latentSize', kind: 'number' },
  width: { key: 'width', kind: 'number' },
  seed: { key: 'seed', kind: 'number' },
  'ema-decay': { key: 'emaDecay', kind: 'number' },
  'diff-augment': { key: 'diffAugment', kind: 'string' },
  'sample-every': { key: 'sampleEvery', kind: 'number' },
  'metrics-every': { key: 'metricsEvery', kind: 'number' },
  'checkpoint-minutes': { key: 'checkpointMinutes', kind: 'number' },
  'keep-checkpoints': { key: 'keepCheckpoints', kind: 'number' },
  crop: { key: 'crop', kind: 'string' },
  threads: { key: 'threads', kind: 'number' },
  flip: { key: 'flip', kind: 'boolean' },
};

/** Flags `train --resume` honours: the config fields a continuation may change. */
const resumeFlags = new Set(
  Object.entries(configFlags)
    .filter(([, { key }]) => key === 'lr' || (continuableFields as readonly string[]).includes(key))
    .map(([flag]) => flag),
);

/**
 * Images a second over the last minute of the run, from its progress reports: one report is
 * a few steps' window, and the last may be a step slowed by a checkpoint.
 */
export function recentSpeed(
  progress: readonly { step: number; at: number; imagesPerSecond: number }[],
  batchSize: number,
): number {
  const last = progress.at(-1);
  if (!last) return 0;
  const recent = progress.filter((p) => last.at - p.at <= 60_000);
  const first = recent[0]!;
  if (last.at <= first.at || last.step <= first.step) return last.imagesPerSecond;
  return ((last.step - first.step) * batchSize * 1000) / (last.at - first.at);
}

/** What the preset means for this dataset and machine (shared/proposal.ts), as the Train form proposes it. */
async function proposalFor(studio: Studio, datasetId: string, preset: string): Promise<Proposal> {
  const [dataset, info] = await Promise.all([
    api(studio, 'datasets.get', { id: datasetId }),
    api(studio, 'app.info', {}),
  ]);
  return proposeSettings(preset, {
    datasetSize: dataset.imageCount,
    gpu: hasGpuBackend(info.backends),
    typicalSide: dataset.report ? typicalSide(dataset.report) : null,
  });
}

export async function train(args: string[]): Promise<void> {
  const flagOptions = Object.fromEntries(
    Object.entries(configFlags).map(([flag, { kind }]) => [
      flag,
      { type: kind === 'boolean' ? 'boolean' : 'string' },
    ]),
  ) as Record<string, { type: 'string' | 'boolean' }>;
  const { values } = parse(args, {
    ...flagOptions,
    data: { type: 'string' },
    dataset: { type: 'string' },
    preset: { type: 'string' },
    resume: { type: 'string' },
    'from-step': { type: 'string' },
    name: { type: 'string' },
  });
  const v = values as Record<string, string | boolean | undefined>;
  if (v['resume'] !== undefined) {
    // A continuation keeps the model and data the checkpoint was trained with: say which flags
    // cannot apply rather than ignore them.
    const refused = [...Object.keys(configFlags), 'preset', 'name'].filter(
      (flag) => v[flag] !== undefined && !resumeFlags.has(flag),
    );
    if (refused.length > 0) {
      throw new UsageError(
        `${refused.map((f) => `--${f}`).join(', ')} cannot change when a run continues: the checkpoint was trained with the run's own value. ` +
          `With --resume, only ${[...resumeFlags].map((f) => `--${f}`).join(', ')} and --from-step apply. ` +
          'To train with other settings, start a new run: gan-studio train --dataset ID …',
      );
    }
  } else if (v['from-step'] !== undefined) {
    throw new UsageError('--from-step goes with --resume RUN: it picks the checkpoint to continue from.');
  }
  const config: Record<string, unknown> = {};
  for (const [flag, { key, kind }] of Object.entries(configFlags)) {
    const raw = v[flag];
    if (raw === undefined) continue;
    const value = kind === 'number' ? Number(raw) : raw;
    if (kind === 'number' && !Number.isFinite(value))
      throw new UsageError(`--${flag} needs a number, not "${String(raw)}".`);
    if (key === 'lr') {
      config['lrG'] = value;
      config['lrD'] = value;
    } else config[key] = value;
  }
  const check = trainConfigPatchSchema.safeParse(config);
  if (!check.success) {
    const issue = check.error.issues[0]!;
    throw new UsageError(`Invalid --${issue.path.join('.')}: ${issue.message}.`);
  }
  const sources = [v['data'], v['dataset'], v['resume']].filter((x) => x !== undefined);
  if (sources.length !== 1)
    throw new UsageError('Give exactly one of --data DIR, --dataset ID or --resume RUN.');
  const json = values.json === true;
  const studio = await openStudio(v['data-dir'] as string | undefined, { backUp: true });
  try {
    let run: RunSummary;
    if (typeof v['resume'] === 'string') {
      const fromStep = v['from-step'] === undefined ? undefined : Number(v['from-step']);
      if (fromStep !== undefined && !Number.isInteger(fromStep))
        throw new UsageError(`--from-step needs a step number, not "${String(v['from-step'])}".`);
      const id = await resolveRun(studio, v['resume'], 'gan-studio train --resume RUN');
      const before = await api(studio, 'runs.get', { id });
      const asked = Date.now();
      run = await api(studio, 'training.continue', {
        id,
        ...(fromStep !== undefined ? { fromStep } : {}),
        // Only continuable fields are left: the others were refused above.
        changes: config as ContinueChanges,
      });
      // Said in so many words: the run goes on from an earlier checkpoint than the user expects.
      const setAside =
        (await api(studio, 'runs.get', { id })).history.findLast(
          (e) => e.kind === 'continued' && e.at >= asked,
        )?.damagedCheckpoints ?? [];
      for (const d of setAside) {
        process.stderr.write(
          `The checkpoint at step ${d.step} is damaged (${d.reason}); it was kept as ${d.file} in the run folder.\n`,
        );
      }
      if (setAside.length > 0) {
        process.stderr.write(
          `Continuing from step ${run.step}, ${before.step - run.step} steps before where the run stood.\n`,
        );
      }
    } else {
      let datasetId = v['dataset'] as string | undefined;
      if (typeof v['data'] === 'string') {
        const detail = await addDataset(studio, v['data'], json);
        if (detail.status !== 'ready')
          throw new Error(detail.error ?? `The folder has no usable images (${detail.status}).`);
        datasetId = detail.id;
      }
      const preset = typeof v['preset'] === 'string' ? v['preset'] : undefined;
      const proposed = preset ? await proposalFor(studio, datasetId!, preset) : null;
      if (proposed && !json) {
        process.stderr.write(
          `Proposed for "${preset}":\n${proposed.reasons.map((r) => `  ${r}\n`).join('')}`,
        );
      }
      run = await api(studio, 'training.start', {
        datasetId: datasetId!,
        ...(typeof v['name'] === 'string' ? { name: v['name'] } : {}),
        ...(preset ? { preset } : {}),
        // The flags given win over the proposal.
        config: { ...proposed?.config, ...(config as Partial<TrainConfigInput>) },
      });
    }
    const runId = run.id;
    const progress: { step: number; at: number; imagesPerSecond: number }[] = [];
    const unsubscribe = studio.events.subscribe((e) => {
      if (e.name === 'run.progress' && e.payload.runId === runId) {
        progress.push({ step: e.payload.step, at: Date.now(), imagesPerSecond: e.payload.imagesPerSecond });
        if (!json) {
          const eta = e.payload.etaSeconds === null ? '' : `  ETA ${Math.round(e.payload.etaSeconds)}s`;
          process.stderr.write(
            `\rstep ${e.payload.step}/${e.payload.totalSteps}  ${e.payload.imagesPerSecond.toFixed(1)} img/s${eta}   `,
          );
        }
      }
      if (e.name === 'run.warning' && e.payload.runId === runId && !json) {
        process.stderr.write(
          `\n${e.payload.warning.cleared ? 'Recovered' : 'Warning'} at step ${e.payload.warning.step}: ${warningText(e.payload.warning)}\n`,
        );
      }
      if (e.name === 'run.status' && e.payload.runId === runId && !json && e.payload.status === 'running') {
        void api(studio, 'runs.get', { id: runId }).then(
          (r) => {
            if (!r.backend) return;
            process.stderr.write(`Training ${runId} on ${r.backend}\n`);
            for (const note of r.backendNotes.filter((n) => n.runtime))
              process.stderr.write(`  ${note.name}: ${note.reason ?? 'failed'}\n`);
          },
          () => undefined,
        );
      }
    });
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) return;
      interrupted = true;
      if (!json) process.stderr.write('\nPausing: writing a checkpoint…\n');
      void api(studio, 'training.pause', { id: runId }).catch(() => undefined);
    };
    process.on('SIGINT', onSigint);
    let final: RunDetail;
    try {
      final = await until(
        studio,
        'run.status',
        async () => {
          const detail = await api(studio, 'runs.get', { id: runId });
          return detail.status === 'running' || detail.status === 'queued' ? null : detail;
        },
        (payload) => payload.runId === runId,
      );
    } finally {
      process.off('SIGINT', onSigint);
      unsubscribe();
    }
    const figures = {
      runId,
      status: final.status,
      step: final.step,
      backend: final.backend,
      dLoss: final.lastDLoss,
      gLoss: final.lastGLoss,
      imagesPerSecond: recentSpeed(progress, run.batchSize),
      trainSeconds: final.trainSeconds,
      error: final.error,
    };
    if (json) printJson(figures);
    else {
      process.stderr.write('\n');
      process.stdout.write(`${runLine(final)}\n`);
      if (final.error) process.stdout.write(`${final.error}\n`);
      if (final.status === 'paused' || final.status === 'interrupted')
        process.stdout.write(`Resume with: gan-studio train --resume ${runId}\n`);
      if (final.status === 'finished')
        process.stdout.write(
          `Train it further with: gan-studio train --resume ${runId} --steps ${final.totalSteps * 2}\n`,
        );
    }
    if (final.status === 'failed') process.exitCode = 1;
  } finally {
    await studio.close();
  }
}
