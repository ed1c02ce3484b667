import type { MethodInput, MethodName, MethodResult } from '../../../../shared/api.js';
import type { StudioBridge } from '../../../../shared/bridge.js';
import { ApiError, unwrap, type Envelope } from '../../../../shared/errors.js';
import type { EventName, EventPayloads } from '../../../../shared/events.js';

declare global {
  interface Window {
    studio?: StudioBridge;
  }
}

type Listener<E extends EventName> = (payload: EventPayloads[E]) => void;

/** The one way the UI reaches the engine: Electron IPC when the preload is there, HTTP + WebSocket otherwise. */
export interface StudioClient {
  readonly transport: 'ipc' | 'http';
  call<M extends MethodName>(method: M, input?: MethodInput<M>): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, listener: Listener<E>): () => void;
  /** Filesystem path of a dropped file, where the shell can tell it (desktop only). */
  pathForFile(file: File): string;
  chooseFolder: (() => Promise<string | null>) | null;
  /**
   * Browser only: copies a picked folder's files (from `<input webkitdirectory>`) to the server,
   * which cannot see the folder's path, and returns the folder they landed in.
   */
  importFolder:
    ((files: File[], onProgress: (done: number, total: number) => void) => Promise<string>) | null;
}

function ipcClient(bridge: StudioBridge): StudioClient {
  return {
    transport: 'ipc',
    async call(method, input) {
      const invoke = bridge.invoke[method] as (input: unknown) => Promise<Envelope<never>>;
      return unwrap(await invoke(input ?? {}));
    },
    on(event, listener) {
      return (bridge.on[event] as (l: typeof listener) => () => void)(listener);
    },
    pathForFile: (file) => bridge.pathForFile(file),
    chooseFolder: () => bridge.chooseFolder(),
    importFolder: null,
  };
}

function httpClient(): StudioClient {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;
  let retry = 500;

  const connect = () => {
    const url = new URL('ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.hash = '';
    socket = new WebSocket(url);
    socket.onopen = () => (retry = 500);
    socket.onmessage = (message) => {
      const { event, payload } = JSON.parse(String(message.data)) as { event: EventName; payload: unknown };
      for (const listener of listeners.get(event) ?? []) listener(payload);
    };
    socket.onclose = () => {
      socket = null;
      // The server restarts or the laptop sleeps: reconnect with back-off rather than go deaf.
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  };

  return {
    transport: 'http',
    async call(method, input) {
      let response: Response;
      try {
        response = await fetch(`api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(input ?? {}),
          credentials: 'same-origin',
        });
      } catch {
        throw new ApiError(
          'unavailable',
          'Cannot reach the GAN Studio server. Is `gan-studio serve` still running?',
        );
      }
      const envelope = (await response.json().catch(() => null)) as Envelope<
        MethodResult<typeof method>
      > | null;
      if (!envelope)
        throw new ApiError('internal', `The server answered ${response.status} without a result.`);
      return unwrap(envelope);
    },
    on(event, listener) {
      if (!socket) connect();
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => set.delete(l);
    },
    pathForFile: () => '',
    chooseFolder: null,
    importFolder: async (files, onProgress) => {
      const importId = `imp-${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
      let folder = '';
      let done = 0;
      const queue = [...files];
      // A few uploads at a time: enough to hide latency, few enough to keep the server responsive.
      const upload = async () => {
        for (let file = queue.shift(); file; file = queue.shift()) {
          const rel =
            file.webkitRelativePath.split('/').slice(1).map(encodeURIComponent).join('/') ||
            encodeURIComponent(file.name);
          const response = await fetch(`upload/${importId}/${rel}`, {
            method: 'PUT',
            body: file,
            credentials: 'same-origin',
          });
          const envelope = (await response.json()) as Envelope<{ folder: string }>;
          folder = unwrap(envelope).folder;
          onProgress(++done, files.length);
        }
      };
      await Promise.all([upload(), upload(), upload()]);
      return folder;
    },
  };
}

export const studio: StudioClient = window.studio ? ipcClient(window.studio) : httpClient();
