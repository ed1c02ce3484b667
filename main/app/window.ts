import { BrowserWindow, shell } from 'electron';
import { appOrigin, externalLinkToOpen, isAppUrl, UserActivation } from './navigation.js';

/** The one app window, locked down: no Node, isolated and sandboxed preload, no navigation away. */
export function createMainWindow(preload: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'GAN Studio',
    show: false,
    backgroundColor: '#111318',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const { webContents } = window;
  window.once('ready-to-show', () => window.show());
  // The page stays on app://studio: neither a link, a script nor a server redirect leaves it.
  webContents.on('will-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  webContents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  const activation = new UserActivation();
  webContents.on('input-event', (_event, input) => activation.note(input));
  webContents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser; nothing opens inside the app.
    const external = externalLinkToOpen(url, activation);
    if (external) void shell.openExternal(external);
    return { action: 'deny' };
  });
  // Requests (camera, notifications…) and checks (clipboard, storage…) alike: the app needs none.
  webContents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  webContents.session.setPermissionCheckHandler(() => false);
  void window.loadURL(`${appOrigin}/index.html`);
  return window;
}
