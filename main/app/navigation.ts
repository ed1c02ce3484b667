import type { InputEvent } from 'electron';

// The window's navigation and permission policy, kept free of Electron's runtime (types only) so
// that it is unit-tested in Node; window.ts wires it to the window's events.

export const appScheme = 'app';
export const appHost = 'studio';
export const appOrigin = `${appScheme}://${appHost}`;

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Exactly the app's own origin, app://studio: a prefix test (`startsWith('app://studio')`) also
 * let in app://studio.example and app://studio@elsewhere.
 */
export function isAppUrl(url: string): boolean {
  const parsed = parse(url);
  return (
    parsed !== null &&
    parsed.protocol === `${appScheme}:` &&
    parsed.host === appHost &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/** A web page the user's browser may open: http(s) only, never file:, a custom scheme or credentials. */
export function isWebLink(url: string): boolean {
  const parsed = parse(url);
  return (
    parsed !== null &&
    (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/** How long after a click, tap or key press a new window still counts as the user's doing. */
const activationMs = 1000;
const activatingInputs = new Set<InputEvent['type']>(['mouseUp', 'gestureTap', 'keyDown', 'rawKeyDown']);

/**
 * Remembers when the user last clicked or pressed a key in the window. Electron tells a new
 * window's URL but not whether a user asked for it; a page script opening links on its own
 * (a compromised renderer, say) finds no recent click and opens nothing.
 */
export class UserActivation {
  private last = Number.NEGATIVE_INFINITY;

  note(input: Pick<InputEvent, 'type'>, now = Date.now()): void {
    if (activatingInputs.has(input.type)) this.last = now;
  }

  recent(now = Date.now()): boolean {
    return now - this.last <= activationMs;
  }
}

/**
 * What to do with a page's request for a new window: nothing ever opens inside the app; an
 * http(s) link the user just clicked opens in their browser.
 */
export function externalLinkToOpen(url: string, activation: UserActivation, now = Date.now()): string | null {
  return isWebLink(url) && activation.recent(now) ? url : null;
}
