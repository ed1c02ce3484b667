import { protocol } from 'electron';
import type { Studio } from '../studio.js';
import { answerAppRequest } from './app-responses.js';
import { appScheme } from './navigation.js';

export { appOrigin, appScheme } from './navigation.js';

/**
 * app://studio/ serves the built renderer and, under /media/, only images of run folders and
 * registered datasets (via the same MediaResolver as `serve`), as app-responses.ts answers them.
 * No file:// access is ever granted.
 */
export function registerAppProtocol(studio: Studio, rendererDir: string): void {
  protocol.handle(appScheme, (request) => answerAppRequest(studio.media, rendererDir, request.url));
}
