import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import {
  decodeUrlPath,
  mediaHeaders,
  servedStream,
  type MediaResolver,
  type ServedFile,
} from '../api/media.js';
import { contentTypeOf } from '../common/media-types.js';
import { inside } from '../common/folder-safety.js';
import { errorEnvelope, statusOf } from '../server/http.js';
import { contentSecurityPolicy } from '../server/csp.js';
import { isAppUrl } from './navigation.js';

// What app://studio/ answers, kept free of Electron's runtime (protocol.ts registers it) so that
// it is tested in Node: the built renderer, and under /media/ what the MediaResolver serves.

/** An error in the API's envelope, as `serve` answers it. */
function errorResponse(error: ApiError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(errorEnvelope(error.code, error.message)), {
    status: statusOf[error.code],
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * A body read from an open file. A read that fails midway errors the web stream, which Electron
 * turns into a failed load of that one file; the stream has its error handler, so the app lives.
 */
function streamResponse(body: Readable, headers: Record<string, string>): Response {
  return new Response(Readable.toWeb(body) as ReadableStream, { headers });
}

async function mediaResponse(media: MediaResolver, pathname: string): Promise<Response> {
  let file: ServedFile;
  try {
    file = await media.open(pathname);
  } catch (err) {
    const error =
      err instanceof ApiError
        ? err
        : new ApiError('internal', `The file could not be read (${firstLineOf(err)}). Reload to try again.`);
    return errorResponse(error, mediaHeaders);
  }
  return streamResponse(servedStream(file), { 'content-type': file.contentType, ...mediaHeaders });
}

function rendererType(file: string): string {
  if (file.endsWith('.js')) return 'text/javascript';
  if (file.endsWith('.css')) return 'text/css';
  if (file.endsWith('.html')) return 'text/html';
  return contentTypeOf(file);
}

/**
 * A file of the built renderer. Read by path, not through openFileIn: a packaged app's renderer
 * lies in its app.asar, where Electron's fs gives paths a stat with made-up inode numbers, which
 * the open-handle checks would refuse. These are the app's own files, not the user's.
 */
async function rendererResponse(rendererDir: string, pathname: string): Promise<Response> {
  const decoded = decodeUrlPath(pathname);
  if (decoded === null) return new Response('Bad request: broken percent-encoding', { status: 400 });
  const rel = pathname === '/' ? 'index.html' : decoded.slice(1);
  const file = path.resolve(rendererDir, rel);
  const stat = inside(rendererDir, file) ? await fs.stat(file).catch(() => undefined) : undefined;
  if (!stat?.isFile()) return new Response('Not found', { status: 404 });
  const type = rendererType(file);
  return streamResponse(createReadStream(file), {
    'content-type': type,
    ...(type === 'text/html' ? { 'content-security-policy': contentSecurityPolicy } : {}),
  });
}

/** The answer to one app:// request; never throws. */
export async function answerAppRequest(
  media: MediaResolver,
  rendererDir: string,
  requestUrl: string,
): Promise<Response> {
  if (!isAppUrl(requestUrl)) return new Response('Not found', { status: 404 });
  const { pathname } = new URL(requestUrl);
  try {
    if (pathname.startsWith('/media/')) return await mediaResponse(media, pathname);
    return await rendererResponse(rendererDir, pathname);
  } catch (err) {
    console.error('[app] request failed:', err);
    return errorResponse(new ApiError('internal', 'GAN Studio failed on this request. Reload the window.'));
  }
}
