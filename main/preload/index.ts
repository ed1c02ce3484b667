import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { methodNames } from '../../shared/api.js';
import { eventNames } from '../../shared/events.js';
import { chooseFolderChannel, eventChannel, methodChannel, type StudioBridge } from '../../shared/bridge.js';

// Built from the fixed lists in shared/: each method and event gets its own channel, and page
// code never sees ipcRenderer or the Electron event object.
const invoke = Object.fromEntries(
  methodNames.map((name) => [
    name,
    (input?: unknown) => ipcRenderer.invoke(methodChannel(name), input ?? {}),
  ]),
) as StudioBridge['invoke'];

const on = Object.fromEntries(
  eventNames.map((name) => [
    name,
    (listener: (payload: unknown) => void) => {
      const wrapped = (_event: Electron.IpcRendererEvent, payload: unknown) => listener(payload);
      ipcRenderer.on(eventChannel(name), wrapped);
      return () => {
        ipcRenderer.removeListener(eventChannel(name), wrapped);
      };
    },
  ]),
) as StudioBridge['on'];

const studio: StudioBridge = {
  invoke,
  on,
  pathForFile: (file) => webUtils.getPathForFile(file),
  chooseFolder: () => ipcRenderer.invoke(chooseFolderChannel) as Promise<string | null>,
};

contextBridge.exposeInMainWorld('studio', studio);
