import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileIn, inside, realFileIn } from '../../main/common/folder-safety.js';
import { tempDir } from '../helpers/temp.js';

describe('inside', () => {
  it('is true strictly below the folder only, by resolved path text', () => {
    expect(inside('/data/set', '/data/set/a.png')).toBe(true);
    expect(inside('/data/set', '/data/set/sub/../a.png')).toBe(true);
    // A name that merely starts with two dots is a child, not the parent.
    expect(inside('/data/set', '/data/set/..cache')).toBe(true);
    expect(inside('/data/set', '/data/set')).toBe(false);
    expect(inside('/data/set', '/data')).toBe(false);
    expect(inside('/data/set', '/data/set-2/a.png')).toBe(false);
    expect(inside('/data/set', '/data/set/../other/a.png')).toBe(false);
  });

  it('maps a relative path into its folder, refusing one that climbs out', () => {
    expect(fileIn('/data/set', 'a/b.png')).toBe(path.resolve('/data/set/a/b.png'));
    expect(fileIn('/data/set', '../../etc/passwd')).toBeUndefined();
    expect(fileIn('/data/set', '')).toBeUndefined();
  });
});

describe('realFileIn', () => {
  it('resolves links, and refuses a file whose real path leaves the folder', async () => {
    const outside = tempDir();
    const folder = tempDir();
    fs.writeFileSync(path.join(outside, 'secret'), 'x');
    fs.writeFileSync(path.join(folder, 'a.png'), 'x');
    fs.mkdirSync(path.join(folder, 'sub'));
    fs.symlinkSync(path.join(folder, 'a.png'), path.join(folder, 'sub', 'same.png'));
    fs.symlinkSync(path.join(outside, 'secret'), path.join(folder, 'secret.png'));
    fs.symlinkSync(outside, path.join(folder, 'linked-folder'));
    const real = fs.realpathSync(folder);

    expect(await realFileIn(folder, 'a.png')).toBe(path.join(real, 'a.png'));
    expect(await realFileIn(folder, 'sub/same.png')).toBe(path.join(real, 'a.png'));
    expect(await realFileIn(folder, 'secret.png')).toBeUndefined();
    expect(await realFileIn(folder, 'linked-folder/secret')).toBeUndefined();
    expect(await realFileIn(folder, 'sub')).toBeUndefined(); // a folder, not a file
    expect(await realFileIn(folder, 'missing.png')).toBeUndefined();
  });
});
