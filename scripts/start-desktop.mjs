#!/usr/bin/env node
// `npm start`: prepares better-sqlite3 for Electron's ABI (scripts/prepare-electron-native.mjs),
// then opens the desktop app. Where Electron's binary is missing it says so and points to
// `npm run serve`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

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

const prepared = spawnSync(process.execPath, [path.join(root, 'scripts/prepare-electron-native.mjs')], {
  stdio: 'inherit',
});
if (prepared.status !== 0) process.exit(prepared.status ?? 1);

const result = spawnSync(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 0);
