import path from 'node:path';
import { writeFileAtomic } from '../common/atomic-files.js';
import { api, openStudio, parse, printJson, resolveRun, UsageError } from './common.js';
import { comparisonText, runDetailText, runLine } from './runs-text.js';

export const runsUsage = `  gan-studio runs list [--status S] [--dataset ID] [--tag T] [--search WORDS]
      [--sort name|status|dataset|resolution|loss|lrG|lrD|batchSize|steps|backend|duration|dLoss|gLoss|created]
      [--asc] [--json]
  gan-studio runs show RUN [--json]
  gan-studio runs compare RUN RUN… [--json]      (config differences and final metrics)
  gan-studio runs export RUN… --format csv|json [--out FILE]   (every recorded metric row)
  gan-studio runs rename RUN NAME
  gan-studio runs tag RUN TAG… [--remove]
  gan-studio runs delete RUN
      RUN is a run's id or its exact name.
`;

const runsCommands =
  'runs list | show RUN | compare RUN RUN… | export RUN… | rename RUN NAME | tag RUN TAG… | delete RUN';

export async function runs(args: string[]): Promise<void> {
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
  const studio = await openStudio(values['data-dir']);
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
