#!/usr/bin/env node
// `npm start`: fetches Electron's binary the first time it is needed, prepares better-sqlite3 for
// Electron's ABI (scripts/prepare-electron-native.mjs), then opens the desktop app.
//
// `npm ci` does not download Electron (package.json's allowScripts denies electron's install
// script), so that installing works on a machine that cannot reach GitHub, where the browser
// shell (`npm run serve`) is the way to use the studio. Where the download works, `npm ci &&
// npm start` stays the one command: the binary is fetched here, once, by Electron's own
// installer (which honours ELECTRON_MIRROR and the other electron_config_* settings).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function electronBinary() {
  try {
    // Resolved afresh each time: index.js reads path.txt, which the installer writes.
    const entry = require.resolve('electron');
    delete require.cache[entry];
    const binary = require('electron');
    return fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

function installElectron() {
  let installer;
  try {
    installer = require.resolve('electron/install.js');
  } catch {
    return false; // not even the package: `npm ci` did not run
  }
  console.error("Downloading Electron's binary for the desktop app (once; about 100 MB)…");
  // Electron's installer does nothing under this variable, which CI and offline setups set.
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const result = spawnSync(process.execPath, [installer], { stdio: ['ignore', 'inherit', 'pipe'], env });
  if (result.status === 0) return true;
  // The installer fails with a stack trace; what went wrong is its first error line.
  const lines = String(result.stderr ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const reason =
    lines.find((l) => /error/i.test(l) && !l.startsWith('at ')) ?? lines[0] ?? `exit code ${result.status}`;
  console.error(`The download failed: ${reason}`);
  return false;
}

const binary = electronBinary() ?? (installElectron() ? electronBinary() : null);
if (!binary) {
  console.error(
    "\nElectron's binary could not be downloaded on this machine (the reason is above), so the desktop\n" +
      'app cannot open. Run the studio in your browser instead; it is the same engine and UI:\n' +
      '  npm run serve\n' +
      'Where a download mirror is reachable, set ELECTRON_MIRROR to it and run `npm start` again.',
  );
  process.exit(1);
}

const prepared = spawnSync(process.execPath, [path.join(root, 'scripts/prepare-electron-native.mjs')], {
  stdio: 'inherit',
});
if (prepared.status !== 0) process.exit(prepared.status ?? 1);

const result = spawnSync(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 0);
