import path from 'node:path';
import { defaultDataDir } from '../common/paths.js';
import { repairStore } from '../store/repair.js';
import { api, openStudio, parse, printJson } from './common.js';

export const doctorUsage = `  gan-studio doctor [--data-dir D] [--json]
      Checks the store (studio.db) and rebuilds what it lost: a damaged or empty store is moved
      aside and its newest backup put back, then every run folder it does not know is rebuilt
      (row, history, checkpoints that verify, samples, charts), saying what could not be.
`;

function when(at: number): string {
  return new Date(at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export async function doctor(args: string[]): Promise<void> {
  const { values } = parse(args, {});
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());
  const repair = repairStore(dataDir);
  const studio = await openStudio(dataDir, { allowUnknownRunFolders: true });
  try {
    // Put back, an older backup lacks what runs did since: their folders say it.
    const report = await api(studio, 'runs.recover', { behindToo: repair.restoredFrom !== null });
    if (values.json) {
      printJson({ dataDir, store: repair, ...report });
      return;
    }
    const lines: string[] = [];
    if (repair.found === 'damaged')
      lines.push(`The store ${dataDir}/studio.db was damaged (${repair.reason}).`);
    if (repair.found === 'empty') lines.push('The store (studio.db) was empty.');
    if (repair.found === 'missing') lines.push('The store (studio.db) was missing.');
    if (repair.movedAside) lines.push(`It was moved aside, kept as ${repair.movedAside}.`);
    if (repair.restoredFrom)
      lines.push(`Restored the store from its backup of ${when(repair.restoredFrom.at)}.`);
    else if (repair.found !== 'whole')
      lines.push('There was no backup to restore: everything comes from the run folders.');
    if (report.runs.length === 0 && report.skipped.length === 0) {
      lines.push(
        `The store knows every run folder. ${repair.found === 'whole' ? 'Nothing to repair.' : ''}`.trim(),
      );
    }
    for (const run of report.runs) {
      lines.push(
        `Rebuilt "${run.name}" (${run.id}) from its folder: ${run.status} at step ${run.step}, ` +
          `${run.checkpoints} checkpoint${run.checkpoints === 1 ? '' : 's'}, ${run.samples} sample grids, ${run.chartPoints} chart points.`,
      );
      for (const lost of run.lost) lines.push(`  Lost: ${lost}.`);
    }
    for (const skipped of report.skipped)
      lines.push(`Could not rebuild run folder ${skipped.id}: ${skipped.reason}.`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await studio.close();
  }
}
