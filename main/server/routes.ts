import type http from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { maxRequestBytes } from '../../shared/api.js';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import type { Router } from '../api/router.js';
import {
  closeServed,
  decodeUrlPath,
  mediaHeaders,
  servedStream,
  type MediaResolver,
  type ServedFile,
} from '../api/media.js';
import { openFileIn, type OpenedFile } from '../common/folder-safety.js';
import { contentTypeOf } from '../common/media-types.js';
import type { DatasetService } from '../datasets/service.js';
import { contentSecurityPolicy } from './csp.js';
import { badEncoding, isJson, readBody, sendError, sendJson, statusOf } from './http.js';
import { receiveUpload } from './uploads.js';

/**
 * What `serve` answers once a request is let in (server.ts checks host, origin and token first):
 *   POST /api/<method>       the API router, a JSON body in and an envelope out
 *   PUT  /upload/<id>/<path> one file of a folder picked in the browser
 *   GET  /media/…            images and exports (shared/media-urls.ts)
 *   GET  anything else       the built renderer
 */
export interface RouteDeps {
  router: Router;
  media: MediaResolver;
  datasets: DatasetService;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
}

export async function handleApi(
  deps: RouteDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    sendError(res, 'invalid_input', 'API methods are called with POST and a JSON body.', 405);
    return;
  }
  // A form or a no-cors fetch from another page can only send text/plain, form or multipart
  // bodies without a CORS preflight, which this server never grants.
  if (!isJson(req.headers['content-type'])) {
    sendError(
      res,
      'invalid_input',
      'API calls must send a JSON body with Content-Type: application/json.',
      415,
    );
    return;
  }
  const body = await readBody(req);
  if (body === 'too-large') {
    sendError(
      res,
      'payload_too_large',
      `The request is larger than ${maxRequestBytes / 1024 / 1024} MiB. Send less data in one call.`,
    );
    return;
  }
  let input: unknown = {};
  if (body.length > 0) {
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      sendError(res, 'invalid_input', 'The request body is not valid JSON.');
      return;
    }
  }
  const method = decodeUrlPath(url.pathname.slice('/api/'.length));
  if (method === null) {
    sendError(res, 'invalid_input', badEncoding);
    return;
  }
  const envelope = await deps.router.call(method, input);
  sendJson(res, envelope.ok ? 200 : statusOf[envelope.error.code], envelope);
}

export async function handleUpload(
  deps: RouteDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) {
  if (req.method !== 'PUT') {
    sendError(res, 'invalid_input', 'Upload files with PUT.', 405);
    return;
  }
  const upload = await receiveUpload(req, deps.datasets, url.pathname);
  if (upload.ok) sendJson(res, 200, { ok: true, result: { folder: upload.folder } });
  else {
    const code =
      upload.status === 413 ? 'payload_too_large' : upload.status === 503 ? 'unavailable' : 'invalid_input';
    sendError(res, code, upload.message, upload.status);
  }
}

/**
 * Streams a body into an answer whose status is already sent. A read that fails midway can only
 * cut the answer short (the browser sees it broken); it is logged, never thrown, so one bad file
 * cannot end the server and the runs it trains.
 */
function sendBody(res: http.ServerResponse, body: Readable, what: string): void {
  pipeline(body, res, (err) => {
    if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      console.warn(`[serve] ${what} was cut short: ${firstLineOf(err)}`);
    }
  });
}

export async function handleMedia(
  deps: RouteDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) {
  for (const [name, value] of Object.entries(mediaHeaders)) res.setHeader(name, value);
  let media: ServedFile;
  try {
    media = await deps.media.open(url.pathname);
  } catch (err) {
    const error =
      err instanceof ApiError
        ? err
        : new ApiError('internal', `The file could not be read (${firstLineOf(err)}). Reload to try again.`);
    sendError(res, error.code, error.message);
    return;
  }
  res.writeHead(200, { 'content-type': media.contentType, 'cache-control': 'private, max-age=60' });
  if (req.method === 'HEAD') {
    await closeServed(media);
    res.end();
  } else sendBody(res, servedStream(media), url.pathname);
}

/** The renderer's files; any other path is the app itself (index.html), which routes by hash. */
export async function handleStatic(
  deps: RouteDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) {
  const { staticDir } = deps;
  const decoded = decodeUrlPath(url.pathname);
  if (decoded === null) {
    sendError(res, 'invalid_input', badEncoding);
    return;
  }
  const rel = url.pathname === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  let opened: OpenedFile | undefined;
  try {
    opened = (await openFileIn(staticDir, rel)) ?? (await openFileIn(staticDir, 'index.html'));
  } catch (err) {
    sendError(
      res,
      'internal',
      `The UI could not be read (${firstLineOf(err)}). Rebuild it with \`npm run build\`.`,
    );
    return;
  }
  if (!opened) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`The UI has not been built: run \`npm run build\` (or \`npm run serve\`), then reload.\n`);
    return;
  }
  const target = opened.path;
  const headers: Record<string, string> = { 'content-type': contentTypeOf(target) };
  if (target.endsWith('.html')) {
    headers['content-type'] = 'text/html; charset=utf-8';
    headers['content-security-policy'] = contentSecurityPolicy;
    headers['cache-control'] = 'no-store';
  } else if (target.endsWith('.js')) headers['content-type'] = 'text/javascript; charset=utf-8';
  else if (target.endsWith('.css')) headers['content-type'] = 'text/css; charset=utf-8';
  else if (target.endsWith('.svg')) headers['content-type'] = 'image/svg+xml';
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    await opened.handle.close();
    res.end();
  } else sendBody(res, opened.handle.createReadStream(), target);
}
