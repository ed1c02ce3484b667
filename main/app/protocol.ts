import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { protocol } from 'electron';
import type { Studio } from '../studio.js';
import { decodeUrlPath } from '../api/media.js';
import { contentTypeOf } from '../common/media-types.js';
import { inside } from '../common/folder-safety.js';
import { appScheme, isAppUrl } from './navigation.js';
import { contentSecurityPolicy } from '../server/csp.js';

export { appOrigin, appScheme } from './navigation.js';

function fileResponse(file: string, contentType: string, extra: Record<string, string> = {}): Response {
  const stream = Readable.toWeb(fs.createReadStream(file)) as ReadableStream;
  return new Response(stream, { headers: { 'content-type': contentType, ...extra } });
}

/**
 * app://studio/ serves the built renderer and, under /media/, only images of run folders and
 * registered datasets (via the same MediaResolver as `serve`). No file:// access is ever granted.
 */
export function registerAppProtocol(studio: Studio, rendererDir: string): void {
  protocol.handle(appScheme, async (request) => {
    const url = new URL(request.url);
    if (!isAppUrl(request.url)) return new Response('Not found', { status: 404 });
    if (url.pathname.startsWith('/media/')) {
      const media = await studio.media.resolve(url.pathname);
      return media ? fileResponse(media.file, media.contentType) : new Response('Not found', { status: 404 });
    }
    const decoded = decodeUrlPath(url.pathname);
    if (decoded === null) return new Response('Bad request: broken percent-encoding', { status: 400 });
    const rel = url.pathname === '/' ? 'index.html' : decoded.slice(1);
    const file = path.resolve(rendererDir, rel);
    if (!inside(rendererDir, file) || !fs.existsSync(file)) {
      return new Response('Not found', { status: 404 });
    }
    const type = file.endsWith('.js')
      ? 'text/javascript'
      : file.endsWith('.css')
        ? 'text/css'
        : file.endsWith('.html')
          ? 'text/html'
          : contentTypeOf(file);
    return fileResponse(
      file,
      type,
      file.endsWith('.html') ? { 'content-security-policy': contentSecurityPolicy } : {},
    );
  });
}
