#!/usr/bin/env node
// Builds better-sqlite3 for the installed Electron's ABI into out/native/electron/, beside (not
// over) the Node build that tests and the CLI use; main/store/database.ts picks it inside
// Electron. Used by `npm start` and by the Electron e2e test. Exits 1, saying why, where it cannot.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outNative = path.join(root, 'out/native/electron/better_sqlite3.node');

const electronVersion = require('electron/package.json').version;
const stamp = `${outNative}.version`;
const upToDate =
  fs.existsSync(outNative) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === electronVersion;
if (!upToDate) {
  console.log(`Preparing better-sqlite3 for Electron ${electronVersion}…`);
  const source = path.dirname(require.resolve('better-sqlite3/package.json'));
  const work = path.join(root, 'out/native/build-better-sqlite3');
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(source, work, { recursive: true, filter: (p) => !p.includes(`${path.sep}build${path.sep}`) });
  const env = {
    ...process.env,
    npm_config_runtime: 'electron',
    npm_config_target: electronVersion,
    npm_config_disturl: 'https://electronjs.org/headers',
  };
  // A prebuilt binary for Electron where one is published; otherwise compile against Electron's headers.
  let ok =
    spawnSync(
      'npx',
      ['--no-install', 'prebuild-install', '--runtime', 'electron', '--target', electronVersion],
      { cwd: work, stdio: 'inherit', env },
    ).status === 0;
  if (!ok) {
    ok =
      spawnSync(
        'npx',
        [
          '--no-install',
          'node-gyp',
          'rebuild',
          '--release',
          `--target=${electronVersion}`,
          '--dist-url=https://electronjs.org/headers',
        ],
        { cwd: work, stdio: 'inherit', env },
      ).status === 0;
  }
  if (!ok) {
    console.error(
      'Could not build better-sqlite3 for Electron: no prebuilt binary could be downloaded and compiling it failed. Install a C++ compiler and Python (node-gyp needs both) and run `npm start` again.',
    );
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(outNative), { recursive: true });
  fs.copyFileSync(path.join(work, 'build/Release/better_sqlite3.node'), outNative);
  fs.writeFileSync(stamp, electronVersion);
  fs.rmSync(work, { recursive: true, force: true });
}
