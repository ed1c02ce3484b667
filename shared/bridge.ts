import type { MethodInput, MethodName, MethodResult } from './api.js';
import type { Envelope } from './errors.js';
import type { EventName, EventPayloads } from './events.js';

/** Fixed IPC channel names: one per method and one per event, nothing generic. */
export const methodChannel = (name: MethodName): string => `api:${name}`;
export const eventChannel = (name: EventName): string => `event:${name}`;

/**
 * What the preload exposes as `window.studio`. Every method answers with an envelope (errors are
 * values: Error objects lose their fields crossing contextBridge).
 */
export interface StudioBridge {
  invoke: { [M in MethodName]: (input?: MethodInput<M>) => Promise<Envelope<MethodResult<M>>> };
  on: { [E in EventName]: (listener: (payload: EventPayloads[E]) => void) => () => void };
  /** Absolute path of a dropped File (Electron's webUtils.getPathForFile); '' when unknown. */
  pathForFile(file: File): string;
  /** Opens the native folder picker; null when cancelled. */
  chooseFolder(): Promise<string | null>;
}

export const chooseFolderChannel = 'dialog:chooseFolder';
