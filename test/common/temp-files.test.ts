import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStaleTempFile, removeStaleTempFiles, tempFileFor } from '../../main/common/temp-files.js';
import { tempDir } from '../helpers/temp.js';

/** A name as tempFileFor gives it, for another pid of this host. */
function tempNameOf(pid: number): string {
  return path.basename(tempFileFor('cache.bin')).replace(`.${process.pid}-`, `.${pid}-`);
}

describe('temporary files named after their process', () => {
  it('are stale only once the process writing them is gone', () => {
    expect(isStaleTempFile(path.basename(tempFileFor('/x/cache.bin')))).toBe(false);
    expect(isStaleTempFile(tempNameOf(process.ppid))).toBe(false); // alive: our parent
    expect(isStaleTempFile(tempNameOf(999_999_999))).toBe(true);
    // Written on another host sharing the folder: cannot be checked, counts as gone (as runs do).
    expect(isStaleTempFile('cache.bin.123-00000000-abcd.tmp')).toBe(true);
    expect(isStaleTempFile('photo.png')).toBeUndefined();
    // Older versions' names, recognised only where asked.
    expect(isStaleTempFile('cache-1.bin.tmp-999999999-ab12')).toBeUndefined();
    expect(isStaleTempFile('cache-1.bin.tmp-999999999-ab12', { legacy: true })).toBe(true);
    expect(isStaleTempFile('.step-0000100.ckpt.999999999.1700000000000.tmp', { legacy: true })).toBe(true);
    expect(isStaleTempFile(`.step-0000100.ckpt.${process.pid}.1700000000000.tmp`, { legacy: true })).toBe(
      false,
    );
  });

  it('are removed from a folder tree to a depth, leaving live ones and other files', () => {
    const root = tempDir();
    const deep = path.join(root, 'run-1', 'checkpoints');
    fs.mkdirSync(deep, { recursive: true });
    const files = {
      dead: path.join(deep, tempNameOf(999_999_999)),
      live: path.join(deep, tempNameOf(process.ppid)),
      legacy: path.join(deep, '.step-0000100.ckpt.999999999.1700000000000.tmp'),
      kept: path.join(deep, 'step-0000100.ckpt'),
      tooDeep: path.join(deep, 'sub', tempNameOf(999_999_999)),
    };
    fs.mkdirSync(path.dirname(files.tooDeep));
    for (const file of Object.values(files)) fs.writeFileSync(file, 'x');
    expect(removeStaleTempFiles(root, 2, { legacy: true })).toBe(2);
    const left = Object.entries(files)
      .filter(([, f]) => fs.existsSync(f))
      .map(([k]) => k);
    expect(left).toEqual(['live', 'kept', 'tooDeep']);
  });
});
