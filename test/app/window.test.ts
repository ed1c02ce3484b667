import { beforeEach, describe, expect, it, vi } from 'vitest';

// Electron's binary is not installed here: the window is tested against a stand-in for the
// Electron module that records what window.ts registers, then plays the events a page causes.
type Listener = (...args: unknown[]) => void;
const electron = vi.hoisted(() => {
  const state = {
    listeners: new Map<string, Listener>(),
    windowOpen: null as ((details: { url: string }) => { action: string }) | null,
    permissionRequest: null as
      ((wc: unknown, permission: string, callback: (ok: boolean) => void) => void) | null,
    permissionCheck: null as ((wc: unknown, permission: string) => boolean) | null,
    opened: [] as string[],
  };
  class BrowserWindow {
    webContents = {
      on: (name: string, listener: Listener) => state.listeners.set(name, listener),
      setWindowOpenHandler: (handler: typeof state.windowOpen) => (state.windowOpen = handler),
      session: {
        setPermissionRequestHandler: (handler: typeof state.permissionRequest) =>
          (state.permissionRequest = handler),
        setPermissionCheckHandler: (handler: typeof state.permissionCheck) =>
          (state.permissionCheck = handler),
      },
    };
    once(): void {}
    loadURL(): Promise<void> {
      return Promise.resolve();
    }
  }
  const shell = { openExternal: (url: string) => (state.opened.push(url), Promise.resolve()) };
  return { state, module: { BrowserWindow, shell, app: { isPackaged: true }, Menu: {} } };
});
vi.mock('electron', () => electron.module);

const { createMainWindow } = await import('../../main/app/window.js');
const { menuTemplate } = await import('../../main/app/menu.js');
const { isAppUrl, isWebLink } = await import('../../main/app/navigation.js');

/** Plays a navigation event; true when window.ts prevented it. */
function navigate(event: 'will-navigate' | 'will-redirect', url: string): boolean {
  let prevented = false;
  electron.state.listeners.get(event)!({ url, preventDefault: () => (prevented = true) });
  return prevented;
}

beforeEach(() => {
  electron.state.listeners.clear();
  electron.state.opened.length = 0;
  createMainWindow('/preload.cjs');
});

describe('the desktop window', () => {
  it('stays on exactly app://studio: navigations and redirects elsewhere are blocked', () => {
    for (const event of ['will-navigate', 'will-redirect'] as const) {
      expect(navigate(event, 'app://studio/index.html#/runs')).toBe(false);
      for (const away of [
        'app://studio.example/index.html',
        'app://studio@evil.example/',
        'app://studiox/',
        'https://example.com/',
        'file:///etc/passwd',
      ]) {
        expect({ event, away, prevented: navigate(event, away) }).toEqual({ event, away, prevented: true });
      }
    }
  });

  it('opens only http(s) links the user just clicked, in their browser, and nothing in the app', () => {
    const open = (url: string) => electron.state.windowOpen!({ url });
    // A script opening a link on its own: no click, nothing opens.
    expect(open('https://example.com/docs')).toEqual({ action: 'deny' });
    expect(electron.state.opened).toEqual([]);
    electron.state.listeners.get('input-event')!({}, { type: 'mouseUp' });
    expect(open('https://example.com/docs')).toEqual({ action: 'deny' });
    for (const url of [
      'file:///etc/passwd',
      'smb://host/share',
      'javascript:alert(1)',
      'https://u:p@example.com/',
    ])
      expect(open(url)).toEqual({ action: 'deny' });
    expect(electron.state.opened).toEqual(['https://example.com/docs']);
  });

  it('refuses every permission, asked for or merely checked', () => {
    let granted: boolean | undefined;
    electron.state.permissionRequest!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    for (const permission of ['clipboard-read', 'notifications', 'geolocation', 'media'])
      expect(electron.state.permissionCheck!(null, permission)).toBe(false);
  });

  it('leaves developer tools out of the menu of a packaged build', () => {
    const roles = (packaged: boolean) =>
      JSON.stringify(menuTemplate({ packaged, showView: () => {} })).match(/toggleDevTools/g)?.length ?? 0;
    expect(roles(true)).toBe(0);
    expect(roles(false)).toBe(1);
  });
});

describe('URL checks', () => {
  it('compare origins exactly', () => {
    expect(isAppUrl('app://studio/')).toBe(true);
    expect(isAppUrl('app://studio.evil/')).toBe(false);
    expect(isAppUrl('app://studio:8080/')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
    expect(isWebLink('http://localhost:3000/')).toBe(true);
    expect(isWebLink('ftp://example.com/')).toBe(false);
  });
});
