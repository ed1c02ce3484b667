import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

/** The standard menus plus the app's views on Ctrl/Cmd+1…4 (the renderer listens for the hash). */
export function buildMenu(window: BrowserWindow): void {
  const views = ['datasets', 'train', 'runs', 'latent'] as const;
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...views.map((view, i) => ({
          label: view[0]!.toUpperCase() + view.slice(1),
          accelerator: `CmdOrCtrl+${i + 1}`,
          click: () => void window.webContents.executeJavaScript(`location.hash = '#/${view}'`),
        })),
        { type: 'separator' },
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
