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
  };
}

export const studio: StudioClient = window.studio ? ipcClient(window.studio) : httpClient();
