import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, protocol } from 'electron';
import { Studio } from '../studio.js';
import { registerIpc } from './ipc.js';
import { registerAppProtocol, appScheme } from './protocol.js';
import { createMainWindow } from './window.js';
import { buildMenu } from './menu.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** out/main/app → project root (or the app.asar root when packaged). */
const root = path.resolve(here, '../../..');

// Must run before 'ready': the app's own scheme is standard and secure, so the page gets a real
// origin (fetch, CSP 'self') without file:// and its wide access.
protocol.registerSchemesAsPrivileged([
  { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

function dataDirFromArgs(): string | null {
  const i = process.argv.indexOf('--data-dir');
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  const dataDir = dataDirFromArgs() ?? app.getPath('userData');
  let studio: Studio;
  try {
    studio = new Studio({ dataDir, shell: 'desktop' });
  } catch (err) {
    dialog.showErrorBox('GAN Studio cannot start', err instanceof Error ? err.message : String(err));
    app.exit(1);
    return;
  }
  registerAppProtocol(studio, path.join(root, 'out/renderer'));
  const window = createMainWindow(path.join(root, 'out/preload/preload.cjs'));
  registerIpc(studio, () => BrowserWindow.getAllWindows());
  buildMenu(window);

  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    // Pause training first: each running run writes a checkpoint, so nothing is lost.
    event.preventDefault();
    closing = true;
    void studio.close().finally(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());
}

void main();
