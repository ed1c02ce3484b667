import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const require = createRequire(import.meta.url);
const electronVersion = (require('electron/package.json') as { version: string }).version;

/** Whether Electron's binary is installed here; then `npm start` would open the app instead. */
function electronInstalled(): boolean {
  try {
    return fs.existsSync(require('electron') as string);
  } catch {
    return false;
  }
}

describe.skipIf(electronInstalled())('npm start where Electron is not installed', () => {
  it("fetches the binary with Electron's own installer, and points to npm run serve when it cannot", async () => {
    // A download mirror that has nothing: what a machine without GitHub gets, without a network.
    const requested: string[] = [];
    const mirror = http.createServer((req, res) => {
      requested.push(req.url ?? '');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = mirror.address() as AddressInfo;
      const proc = spawn(process.execPath, ['scripts/start-desktop.mjs'], {
        env: {
          ...process.env,
          ELECTRON_MIRROR: `http://127.0.0.1:${port}/`,
          electron_config_cache: tempDir(),
          // Set by offline CI setups; `npm start` needs the binary, so it downloads regardless.
          ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
      expect(code).toBe(1);
      expect(err).toContain("Downloading Electron's binary");
      expect(requested.some((url) => url.includes(`electron-v${electronVersion}-`))).toBe(true);
      expect(err).toMatch(/could not be downloaded.*\n.*\n\s+npm run serve/);
      // The reason in one line, not the installer's stack trace.
      expect(err).toMatch(/The download failed: .*404/);
      expect(err).not.toMatch(/^\s+at /m);
      expect(electronInstalled()).toBe(false);
    } finally {
      mirror.close();
    }
  });
});
