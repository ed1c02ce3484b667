import type { Emit, EventName, EventPayloads } from '../../shared/events.js';

export type AnyEvent = { [E in EventName]: { name: E; payload: EventPayloads[E] } }[EventName];
export type EventListener = (event: AnyEvent) => void;

/** Fans engine events out to every transport (IPC windows, WebSocket clients). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  readonly emit: Emit = (name, payload) => {
    const event = { name, payload } as AnyEvent;
    for (const listener of this.listeners) listener(event);
  };

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
