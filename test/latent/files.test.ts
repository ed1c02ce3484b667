import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  exportName,
  incompleteMarker,
  makeNewFolder,
  markIncomplete,
  recoverLatentFiles,
  slug,
  stamp,
} from '../../main/latent/files.js';
import { tempDir } from '../helpers/temp.js';

function set(dataDir: string, name: string, owner: string | null, manifest: boolean): string {
  const folder = path.join(dataDir, 'generated', name);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'seed-0000000001.png'), 'png');
  if (owner !== null) fs.writeFileSync(path.join(folder, incompleteMarker), `${owner}\n`);
  if (manifest) fs.writeFileSync(path.join(folder, 'manifest.json'), '{}');
  return folder;
}

describe('latent output files', () => {
  it('names exports so that only the names it gives are served back', () => {
    const name = `${stamp(new Date(2026, 10, 30, 9, 5, 7, 42))}-${slug('Émoji run #2!')}-step300-walk-slerp-1-2.gif`;
    expect(name).toBe('20261130-090507-042-emoji-run-2-step300-walk-slerp-1-2.gif');
    expect(exportName.test(name)).toBe(true);
    expect(exportName.test('20261130-090507-042-x-tfjs')).toBe(true);
    for (const bad of ['notes.txt', '../studio.db', '20261130-090507-042-x.gif.tmp', '.hidden.gif']) {
      expect(exportName.test(bad)).toBe(false);
    }
    expect(slug('···')).toBe('run');
  });

  it('never reuses a folder: a taken name gets a suffix', () => {
    const parent = tempDir();
    expect(path.basename(makeNewFolder(parent, 'set'))).toBe('set');
    expect(path.basename(makeNewFolder(parent, 'set'))).toBe('set-2');
  });

  it("at start, removes sets a gone process left half-written and keeps the others'", () => {
    const dataDir = tempDir();
    const gone = `${os.hostname()}:${2 ** 22 + 12345}`;
    const halfWritten = set(dataDir, 'a', gone, false);
    const complete = set(dataDir, 'b', gone, true);
    const ours = set(dataDir, 'c', null, false);
    markIncomplete(ours);
    const finished = set(dataDir, 'd', null, true);
    recoverLatentFiles(dataDir);
    expect(fs.existsSync(halfWritten)).toBe(false);
    // Its manifest was written: the set is complete, only the marker was left.
    expect(fs.readdirSync(complete).sort()).toEqual(['manifest.json', 'seed-0000000001.png']);
    // This process is still writing it.
    expect(fs.existsSync(path.join(ours, incompleteMarker))).toBe(true);
    expect(fs.existsSync(finished)).toBe(true);
  });
});
