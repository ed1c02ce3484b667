import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  cacheResolutions,
  continuableFields,
  cropModes,
  trainConfigPatchSchema,
  type CacheResolution,
  type ContinueChanges,
  type CropMode,
  type TrainConfigInput,
} from '../shared/config.js';
import { ApiError, unwrap, type Envelope } from '../shared/errors.js';
import type { MethodInput, MethodName, MethodResult } from '../shared/api.js';
import type { DatasetSummary, RunSummary } from '../shared/types.js';
import { Studio, defaultDataDir } from './api/studio.js';
import { startServer } from './server/server.js';
import { writeFileAtomic } from './atomic-files.js';
import { comparisonText, runDetailText, runLine, warningText } from './cli-runs.js';
import { latentCli, latentUsage } from './cli-latent.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.resolve(here, '../renderer');

const usage = `GAN Studio — train GANs on your image folders.

Usage:
  gan-studio serve [--port N] [--host H] [--data-dir D]
      Serve the studio to a browser on this machine; prints the URL with its access token.
  gan-studio datasets add DIR [--resolution N] [--crop center|pad|stretch] [--json]
  gan-studio datasets list [--json]
  gan-studio datasets rescan (ID | DIR) [--json]
      Scans a dataset's folder again (after a cancelled or killed scan, or changed files).
  gan-studio train (--data DIR | --dataset ID | --resume RUN) [--preset quick|standard|detailed]
      [--resolution N] [--steps N] [--backend auto|tensorflow|webgpu|wasm|cpu] [--json]
      [--lr X] [--lr-g X] [--lr-d X] [--batch-size N] [--loss bce|minimax|hinge] [--latent-size N]
      [--width X] [--seed N] [--ema-decay X] [--diff-augment auto|on|off] [--sample-every N]
      [--metrics-every N] [--checkpoint-minutes X] [--keep-checkpoints N] [--crop MODE] [--flip]
      [--threads N]   (wasm CPU threads; 0 = auto: all cores but one)
      Ctrl-C writes a checkpoint and exits; resume with --resume RUN.
      With --resume RUN, continue a paused, stopped, failed or finished run from its latest
      checkpoint (or --from-step N); only --steps, --lr, --lr-g, --lr-d, --backend, --threads,
      --metrics-every, --sample-every, --checkpoint-minutes and --keep-checkpoints may change.
  gan-studio runs list [--status S] [--dataset ID] [--tag T] [--search WORDS]
      [--sort name|status|dataset|resolution|loss|lrG|lrD|batchSize|steps|backend|duration|dLoss|gLoss|created]
      [--asc] [--json]
  gan-studio runs show RUN [--json]
  gan-studio runs compare RUN RUN… [--json]      (config differences and final metrics)
  gan-studio runs export RUN… --format csv|json [--out FILE]   (every recorded metric row)
  gan-studio runs rename RUN NAME
  gan-studio runs tag RUN TAG… [--remove]
  gan-studio runs delete RUN
      RUN is a run's id or its exact name.
${latentUsage}
Every command takes --data-dir (default: ${defaultDataDir()}).
`;

class UsageError extends Error {}

const common = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

/** CLI flags for config fields: kebab-case flag → config key, and how to read its value. */
const configFlags: Record<
  string,
  { key: keyof TrainConfigInput | 'lr'; kind: 'number' | 'string' | 'boolean' }
> = {
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

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...common, ...options },
      allowPositionals: true,
      strict: true,
    } as const);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A Studio for one command; `serve` also follows runs other processes train, for its UI. */
function openStudio(dataDir: string | undefined, { followOutsideRuns = false } = {}): Studio {
  return new Studio({
    dataDir: path.resolve(dataDir ?? defaultDataDir()),
    shell: 'serve',
    followOutsideRuns,
  });
}

/**
 * The dataset once its scan has ended, following its status events as the UI does (and looking
 * again now and then: a scan another process runs sends no events here).
 */
async function scanned(studio: Studio, id: string): Promise<MethodResult<'datasets.get'>> {
  for (;;) {
    let off = () => {};
    const changed = new Promise<void>((resolve) => {
      off = studio.events.subscribe((e) => {
        if (e.name === 'dataset.status' && e.payload.datasetId === id) resolve();
      });
    });
    try {
      const detail = await api(studio, 'datasets.get', { id });
      if (detail.status !== 'scanning') return detail;
      await Promise.race([changed, new Promise((resolve) => setTimeout(resolve, 500))]);
    } finally {
      off();
    }
  }
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function datasetLine(d: DatasetSummary): string {
  return `${d.id}  ${d.status.padEnd(9)} ${String(d.imageCount).padStart(6)} images  ${String(d.skippedCount).padStart(5)} skipped  ${d.name}  (${d.path})`;
}

/** Calls the API through the router, as the UI does: the same validation and the same errors. */
async function api<M extends MethodName>(
  studio: Studio,
  method: M,
  input: MethodInput<M>,
): Promise<MethodResult<M>> {
  // The router checked the input against the method's schema and ran its handler.
  return unwrap((await studio.router.call(method, input)) as Envelope<MethodResult<M>>);
}

/** A run named on the command line: its id, or its exact name when one run has it. */
async function resolveRun(studio: Studio, ref: string | undefined, usage: string): Promise<string> {
  if (!ref) throw new UsageError(`Name the run: ${usage}`);
  const all = await api(studio, 'runs.list', {});
  const byId = all.find((r) => r.id === ref);
  if (byId) return byId.id;
  const named = all.filter((r) => r.name === ref);
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) {
    throw new ApiError(
      'conflict',
      `${named.length} runs are named "${ref}": give one of their ids (${named.map((r) => r.id).join(', ')}).`,
    );
  }
  throw new ApiError('not_found', `There is no run "${ref}". List them with: gan-studio runs list`);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' } } as const);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a number from 0 to 65535, not "${values.port}".`);
  const studio = openStudio(values['data-dir'], { followOutsideRuns: true });
  const server = await startServer({
    studio,
    staticDir: rendererDir,
    port,
    ...(values.host ? { host: values.host } : {}),
  });
  if (values.json)
    printJson({ url: server.url, port: server.port, token: server.token, dataDir: studio.options.dataDir });
  else {
    process.stdout.write(
      `GAN Studio is serving ${studio.options.dataDir}\nOpen: ${server.url}\nPress Ctrl-C to stop.\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await studio.close();
}

async function addDataset(
  studio: Studio,
  dir: string,
  json: boolean,
  cache?: { resolution: CacheResolution; crop: CropMode },
): Promise<DatasetSummary> {
  const added = await studio.datasets.add({
    path: path.resolve(dir),
    minSize: 16,
    ...(cache ? { cache } : {}),
  });
  let last = 0;
  const unsubscribe = studio.events.subscribe((e) => {
    if (json || e.name !== 'dataset.progress' || e.payload.datasetId !== added.id) return;
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    const { phase, done, total } = e.payload;
    process.stderr.write(`\r${phase} ${done}${total ? `/${total}` : ''}   `);
  });
  await studio.datasets.waitForScan(added.id);
  unsubscribe();
  if (!json) process.stderr.write('\n');
  return studio.datasets.get(added.id);
}

async function datasets(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    resolution: { type: 'string' },
    crop: { type: 'string' },
  } as const);
  const studio = openStudio(values['data-dir']);
  try {
    if (sub === 'list') {
      const list = studio.datasets.list();
      if (values.json) printJson(list);
      else if (list.length === 0)
        process.stdout.write('No datasets yet. Add one: gan-studio datasets add DIR\n');
      else for (const d of list) process.stdout.write(`${datasetLine(d)}\n`);
      return;
    }
    if (sub === 'add') {
      const dir = positionals[0];
      if (!dir) throw new UsageError('Name the folder to add: gan-studio datasets add DIR');
      let settings: { resolution: CacheResolution; crop: CropMode } | undefined;
      if (values.resolution) {
        const resolution = Number(values.resolution);
        if (!(cacheResolutions as readonly number[]).includes(resolution))
          throw new UsageError(`--resolution must be ${cacheResolutions.join(', ')}.`);
        const crop = values.crop ?? 'center';
        if (!(cropModes as readonly string[]).includes(crop))
          throw new UsageError(`--crop must be ${cropModes.join(', ')}.`);
        settings = { resolution: resolution as CacheResolution, crop: crop as CropMode };
      }
      // The cache is built during the scan; buildCache then finds it (or builds it, if the scan
      // could not).
      const detail = await addDataset(studio, dir, values.json, settings);
      const cache =
        settings && detail.status === 'ready'
          ? await studio.datasets.buildCache({ id: detail.id, ...settings, flip: false })
          : null;
      if (values.json) printJson({ ...detail, cache });
      else {
        process.stdout.write(`${datasetLine(detail)}\n`);
        if (detail.error) process.stdout.write(`${detail.error}\n`);
        if (cache)
          process.stdout.write(
            `Training cache ${cache.key}: ${cache.count} images at ${values.resolution}px\n`,
          );
      }
      if (detail.status !== 'ready') process.exitCode = 1;
      return;
    }
    if (sub === 'rescan') {
      const target = positionals[0];
      if (!target) throw new UsageError('Name the dataset to rescan: gan-studio datasets rescan ID|DIR');
      // A dataset id, or the folder it was added from (by any path that leads to it).
      const list = await api(studio, 'datasets.list', {});
      const folder = await fs.promises.realpath(target).catch(() => path.resolve(target));
      const dataset = list.find((d) => d.id === target || d.path === folder);
      if (!dataset)
        throw new Error(`No dataset has the id or folder "${target}". Add it: gan-studio datasets add DIR`);
      await api(studio, 'datasets.rescan', { id: dataset.id });
      const detail = await scanned(studio, dataset.id);
      if (values.json) printJson(detail);
      else {
        process.stdout.write(`${datasetLine(detail)}\n`);
        if (detail.error) process.stdout.write(`${detail.error}\n`);
      }
      if (detail.status !== 'ready') process.exitCode = 1;
      return;
    }
    throw new UsageError(
      `Unknown datasets command "${sub ?? ''}". Use: datasets add DIR | datasets list | datasets rescan ID|DIR`,
    );
  } finally {
    await studio.close();
  }
}

const runsCommands =
  'runs list | show RUN | compare RUN RUN… | export RUN… | rename RUN NAME | tag RUN TAG… | delete RUN';

async function runs(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, {
    status: { type: 'string' },
    dataset: { type: 'string' },
    tag: { type: 'string' },
    search: { type: 'string' },
    sort: { type: 'string' },
    asc: { type: 'boolean', default: false },
    format: { type: 'string' },
    out: { type: 'string' },
    remove: { type: 'boolean', default: false },
  } as const);
  if (!sub || !['list', 'show', 'compare', 'export', 'rename', 'tag', 'delete'].includes(sub))
    throw new UsageError(`Unknown runs command "${sub ?? ''}". Use: ${runsCommands}`);
  const studio = openStudio(values['data-dir']);
  const out = (text: string) => process.stdout.write(`${text}\n`);
  try {
    switch (sub) {
      case 'list': {
        const list = await api(studio, 'runs.list', {
          ...(values.status ? { status: values.status } : {}),
          ...(values.dataset ? { datasetId: values.dataset } : {}),
          ...(values.tag ? { tag: values.tag } : {}),
          ...(values.search ? { search: values.search } : {}),
          ...(values.sort ? { sort: values.sort as 'created' } : {}),
          order: values.asc ? 'asc' : 'desc',
        });
        if (values.json) printJson(list);
        else if (list.length === 0) out('No runs match. Start one: gan-studio train --data DIR');
        else for (const r of list) out(runLine(r));
        return;
      }
      case 'show': {
        const id = await resolveRun(studio, positionals[0], 'gan-studio runs show RUN');
        const detail = await api(studio, 'runs.get', { id });
        if (values.json) printJson(detail);
        else out(runDetailText(detail));
        return;
      }
      case 'compare': {
        if (positionals.length < 2)
          throw new UsageError('Name two or more runs: gan-studio runs compare A B …');
        const ids = [];
        for (const ref of positionals)
          ids.push(await resolveRun(studio, ref, 'gan-studio runs compare A B …'));
        const comparison = await api(studio, 'runs.compare', { ids });
        if (values.json) {
          printJson({
            runs: comparison.runs.map(({ samples: _s, history: _h, backendNotes: _b, ...run }) => run),
            differences: comparison.config.filter((row) => row.differs),
          });
        } else out(comparisonText(comparison));
        return;
      }
      case 'export': {
        const format = values.format;
        if (format !== 'csv' && format !== 'json')
          throw new UsageError(
            'Give --format csv or --format json: gan-studio runs export RUN --format csv --out FILE',
          );
        if (positionals.length === 0)
          throw new UsageError('Name the run: gan-studio runs export RUN --format csv');
        const ids = [];
        for (const ref of positionals) ids.push(await resolveRun(studio, ref, 'gan-studio runs export RUN'));
        const file = await api(studio, 'runs.export', { ids, format });
        if (!values.out || values.out === '-') process.stdout.write(file.content);
        else {
          const target = path.resolve(values.out);
          await writeFileAtomic(target, file.content);
          process.stderr.write(`Wrote ${target} (${Buffer.byteLength(file.content)} bytes)\n`);
        }
        return;
      }
      case 'rename': {
        const id = await resolveRun(studio, positionals[0], 'gan-studio runs rename RUN NAME');
        const name = positionals.slice(1).join(' ');
        if (!name) throw new UsageError('Give the new name: gan-studio runs rename RUN NAME');
        const run = await api(studio, 'runs.update', { id, name });
        if (values.json) printJson(run);
        else out(runLine(run));
        return;
      }
      case 'tag': {
        const id = await resolveRun(studio, positionals[0], 'gan-studio runs tag RUN TAG…');
        const tags = positionals.slice(1);
        if (tags.length === 0)
          throw new UsageError('Give one or more tags: gan-studio runs tag RUN TAG… [--remove]');
        const current = (await api(studio, 'runs.get', { id })).tags;
        const next = values.remove
          ? current.filter((t) => !tags.includes(t))
          : [...current, ...tags.filter((t) => !current.includes(t))];
        const run = await api(studio, 'runs.update', { id, tags: next });
        if (values.json) printJson(run);
        else out(`${run.name}: ${run.tags.length > 0 ? run.tags.join(', ') : 'no tags'}`);
        return;
      }
      case 'delete': {
        const id = await resolveRun(studio, positionals[0], 'gan-studio runs delete RUN');
        const { name } = await api(studio, 'runs.get', { id });
        const { deleted } = await api(studio, 'runs.delete', { id });
        if (values.json) printJson({ id, deleted });
        else
          out(
            deleted
              ? `Deleted run "${name}" (${id}) with its checkpoints and samples.`
              : `Run ${id} was already gone.`,
          );
        return;
      }
    }
  } finally {
    await studio.close();
  }
}

/** Flags `train --resume` honours: the config fields a continuation may change. */
const resumeFlags = new Set(
  Object.entries(configFlags)
    .filter(([, { key }]) => key === 'lr' || (continuableFields as readonly string[]).includes(key))
    .map(([flag]) => flag),
);

async function train(args: string[]): Promise<void> {
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
  const studio = openStudio(v['data-dir'] as string | undefined);
  try {
    let run: RunSummary;
    if (typeof v['resume'] === 'string') {
      const fromStep = v['from-step'] === undefined ? undefined : Number(v['from-step']);
      if (fromStep !== undefined && !Number.isInteger(fromStep))
        throw new UsageError(`--from-step needs a step number, not "${String(v['from-step'])}".`);
      const id = await resolveRun(studio, v['resume'], 'gan-studio train --resume RUN');
      run = await api(studio, 'training.continue', {
        id,
        ...(fromStep !== undefined ? { fromStep } : {}),
        // Only continuable fields are left: the others were refused above.
        changes: config as ContinueChanges,
      });
    } else {
      let datasetId = v['dataset'] as string | undefined;
      if (typeof v['data'] === 'string') {
        const detail = await addDataset(studio, v['data'], json);
        if (detail.status !== 'ready')
          throw new Error(detail.error ?? `The folder has no usable images (${detail.status}).`);
        datasetId = detail.id;
      }
      run = await api(studio, 'training.start', {
        datasetId: datasetId!,
        ...(typeof v['name'] === 'string' ? { name: v['name'] } : {}),
        ...(typeof v['preset'] === 'string' ? { preset: v['preset'] } : {}),
        config: config as Partial<TrainConfigInput>,
      });
    }
    const runId = run.id;
    let lastIps = 0;
    const unsubscribe = studio.events.subscribe((e) => {
      if (e.name === 'run.progress' && e.payload.runId === runId) {
        lastIps = e.payload.imagesPerSecond;
        if (!json) {
          const eta = e.payload.etaSeconds === null ? '' : `  ETA ${Math.round(e.payload.etaSeconds)}s`;
          process.stderr.write(
            `\rstep ${e.payload.step}/${e.payload.totalSteps}  ${e.payload.imagesPerSecond.toFixed(1)} img/s${eta}   `,
          );
        }
      }
      if (e.name === 'run.warning' && e.payload.runId === runId && !json) {
        process.stderr.write(
          `\nWarning at step ${e.payload.warning.step}: ${warningText(e.payload.warning)}\n`,
        );
      }
      if (e.name === 'run.status' && e.payload.runId === runId && !json && e.payload.status === 'running') {
        const r = studio.runs.get(runId);
        if (r?.backend) {
          process.stderr.write(`Training ${runId} on ${r.backend}\n`);
          for (const note of r.backendNotes.filter((n) => n.runtime))
            process.stderr.write(`  ${note.name}: ${note.reason ?? 'failed'}\n`);
        }
      }
    });
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) return;
      interrupted = true;
      if (!json) process.stderr.write('\nPausing: writing a checkpoint…\n');
      void studio.training.pause(runId).catch(() => undefined);
    };
    process.on('SIGINT', onSigint);
    await studio.training.whenIdle(runId);
    process.off('SIGINT', onSigint);
    unsubscribe();
    const final = studio.runs.get(runId)!;
    const figures = {
      runId,
      status: final.status,
      step: final.step,
      backend: final.backend,
      dLoss: final.lastDLoss,
      gLoss: final.lastGLoss,
      imagesPerSecond: lastIps,
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

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(usage);
      return 0;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(usage);
      return 0;
    }
    switch (command) {
      case 'serve':
        await serve(rest);
        break;
      case 'datasets':
        await datasets(rest);
        break;
      case 'runs':
        await runs(rest);
        break;
      case 'train':
        await train(rest);
        break;
      case 'latent':
      case 'generate':
      case 'export':
        await latentCli(command, rest, {
          openStudio,
          api,
          resolveRun,
          usageError: (message) => new UsageError(message),
        });
        break;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${usage}`);
      return 2;
    }
    const message = err instanceof ApiError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`gan-studio: ${message}\n`);
    return 1;
  }
}
