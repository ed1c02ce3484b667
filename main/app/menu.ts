import { app, Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

const views = ['datasets', 'train', 'runs', 'latent'] as const;

/**
 * The standard menus plus the app's views on Ctrl/Cmd+1…4 (the renderer listens for the hash).
 * Developer tools only where the app runs from source: in a packaged build they would hand
 * anyone at the keyboard a console inside the app's page.
 */
export function menuTemplate(options: {
  packaged: boolean;
  showView: (view: (typeof views)[number]) => void;
}): MenuItemConstructorOptions[] {
  return [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...views.map((view, i) => ({
          label: view[0]!.toUpperCase() + view.slice(1),
          accelerator: `CmdOrCtrl+${i + 1}`,
          click: () => options.showView(view),
        })),
        { type: 'separator' },
        { role: 'reload' },
        ...(options.packaged ? [] : [{ role: 'toggleDevTools' as const }]),
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
}

export function buildMenu(window: BrowserWindow): void {
  const template = menuTemplate({
    packaged: app.isPackaged,
    showView: (view) => void window.webContents.executeJavaScript(`location.hash = '#/${view}'`),
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
