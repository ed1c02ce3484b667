#!/usr/bin/env node
// `npm start`: prepares better-sqlite3 for Electron's ABI (beside, not over, the Node build that
// tests and the CLI use), then opens the desktop app. Where Electron's binary is missing it says
// so and points to `npm run serve`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outNative = path.join(root, 'out/native/electron/better_sqlite3.node');

function electronBinary() {
  try {
    const binary = require('electron');
    return fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
if (!binary) {
  console.error(
    'Electron is not installed: its binary could not be downloaded on this machine.\n' +
      'Run the studio in your browser instead:  npm run serve\n' +
      'or reinstall where the download works:  npm install electron',
  );
  process.exit(1);
}

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
      'Could not build better-sqlite3 for Electron (no prebuilt binary and no compiler?). See README "Desktop app".',
    );
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(outNative), { recursive: true });
  fs.copyFileSync(path.join(work, 'build/Release/better_sqlite3.node'), outNative);
  fs.writeFileSync(stamp, electronVersion);
  fs.rmSync(work, { recursive: true, force: true });
}

const result = spawnSync(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 0);
