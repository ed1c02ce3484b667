import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fileIn,
  inside,
  openFileIn,
  openOwnFile,
  realFileIn,
  resolveUserFolder,
} from '../../main/common/folder-safety.js';
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

describe('openFileIn and openOwnFile', () => {
  it('open a regular file inside the folder, and nothing a link or a folder stands for', async () => {
    const outside = tempDir();
    const folder = tempDir();
    fs.writeFileSync(path.join(outside, 'secret'), 'x');
    fs.writeFileSync(path.join(folder, 'a.png'), 'pixels');
    fs.mkdirSync(path.join(folder, 'dir.png'));
    fs.symlinkSync(path.join(outside, 'secret'), path.join(folder, 'secret.png'));

    const opened = await openFileIn(folder, 'a.png');
    expect(opened?.path).toBe(path.join(fs.realpathSync(folder), 'a.png'));
    expect(opened?.stat.size).toBe(6);
    expect((await opened!.handle.readFile()).toString()).toBe('pixels');
    await opened!.handle.close();
    for (const name of ['dir.png', 'secret.png', 'missing.png', '../x']) {
      expect(await openFileIn(folder, name)).toBeUndefined();
    }
  });

  it('open a file of the data folder only by its own path: no link anywhere on the way', async () => {
    const dataDir = tempDir();
    const elsewhere = tempDir();
    fs.writeFileSync(path.join(elsewhere, 'studio.db'), 'x');
    fs.mkdirSync(path.join(dataDir, 'runs', 'r1', 'samples'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'runs', 'r1', 'samples', 'a.png'), 'pixels');
    fs.mkdirSync(path.join(dataDir, 'runs', 'r2'), { recursive: true });
    // The samples folder itself a link: its files are inside its own real path, but not the studio's.
    fs.symlinkSync(elsewhere, path.join(dataDir, 'runs', 'r2', 'samples'));

    const own = await openOwnFile(dataDir, path.join(dataDir, 'runs', 'r1', 'samples', 'a.png'));
    expect(own).toBeDefined();
    await own!.handle.close();
    expect(
      await openOwnFile(dataDir, path.join(dataDir, 'runs', 'r2', 'samples', 'studio.db')),
    ).toBeUndefined();
    expect(await openOwnFile(dataDir, path.join(elsewhere, 'studio.db'))).toBeUndefined();
  });
});

describe('resolveUserFolder', () => {
  it('refuses a relative path and the root, whoever calls it', async () => {
    for (const input of ['images', '../..', 'C:images']) {
      await expect(resolveUserFolder(input)).rejects.toMatchObject({
        code: 'invalid_input',
        field: 'path',
        message: expect.stringMatching(/not a full path/),
      });
    }
    await expect(resolveUserFolder('/')).rejects.toMatchObject({ message: /root of the file system/ });
    const folder = tempDir();
    expect(await resolveUserFolder(folder)).toBe(fs.realpathSync(folder));
  });
});
