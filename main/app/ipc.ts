import { dialog, ipcMain, type BrowserWindow } from 'electron';
import { methodNames } from '../../shared/api.js';
import { chooseFolderChannel, eventChannel, methodChannel } from '../../shared/bridge.js';
import type { Studio } from '../studio.js';
import { isAppUrl } from './navigation.js';

/** One IPC channel per API method, each a thin adapter over the same router `serve` uses. */
export function registerIpc(studio: Studio, windows: () => BrowserWindow[]): void {
  for (const name of methodNames) {
    ipcMain.handle(methodChannel(name), (event, input: unknown) => {
      // Only our own page may call the API, never a frame from elsewhere.
      if (!isAppUrl(event.senderFrame?.url ?? '')) {
        return {
          ok: false,
          error: { code: 'unauthorized', message: 'Calls are accepted from the GAN Studio window only.' },
        };
      }
      return studio.router.call(name, input);
    });
  }
  ipcMain.handle(chooseFolderChannel, async (event) => {
    const owner = windows().find((w) => w.webContents === event.sender);
    const options = { title: 'Choose an image folder', properties: ['openDirectory' as const] };
    const result = owner ? await dialog.showOpenDialog(owner, options) : await dialog.showOpenDialog(options);
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });
  studio.events.subscribe((event) => {
    for (const window of windows()) {
      if (!window.isDestroyed()) window.webContents.send(eventChannel(event.name), event.payload);
    }
  });
}
