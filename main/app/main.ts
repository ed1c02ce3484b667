import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, protocol } from 'electron';
import { Studio } from '../studio.js';
import type { RecoveryReport } from '../../shared/types.js';
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
    studio = new Studio({ dataDir, shell: 'desktop', backUp: true });
  } catch (err) {
    dialog.showErrorBox('GAN Studio cannot start', err instanceof Error ? err.message : String(err));
    app.exit(1);
    return;
  }
  if (!(await offerRecovery(studio))) {
    await studio.close();
    app.exit(0);
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

/**
 * A store that does not know some run folders (studio.db lost or emptied) is not opened over them
 * in silence: the user rebuilds those runs (runs.recover) and is told what came back and what was
 * lost, or quits. False if they quit.
 */
async function offerRecovery(studio: Studio): Promise<boolean> {
  const unknown = studio.unknownRunFolders();
  if (unknown.length === 0) return true;
  const { response } = await dialog.showMessageBox({
    type: 'warning',
    buttons: ['Rebuild them', 'Quit'],
    defaultId: 0,
    cancelId: 1,
    message: `${unknown.length} run folder${unknown.length === 1 ? ' is' : 's are'} missing from the studio's store.`,
    detail:
      'The store (studio.db) was lost, emptied or damaged. GAN Studio can rebuild those runs from their folders: ' +
      'their settings, history, checkpoints that verify, sample grids and charts.',
  });
  if (response === 1) return false;
  const envelope = await studio.router.call('runs.recover', {});
  const detail = envelope.ok
    ? (envelope.result as RecoveryReport).runs
        .map((r) => `${r.name}: step ${r.step}${r.lost.length > 0 ? `. Lost: ${r.lost.join('; ')}` : ''}`)
        .join('\n')
    : envelope.error.message;
  await dialog.showMessageBox({
    type: envelope.ok ? 'info' : 'error',
    message: 'Rebuilt the runs from their folders',
    detail,
  });
  return true;
}
