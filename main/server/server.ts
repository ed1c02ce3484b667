import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { maxRequestBytes } from '../../shared/api.js';
import type { Envelope, ErrorCode } from '../../shared/errors.js';
import type { Studio } from '../api/studio.js';
import { contentTypeOf, decodeUrlPath } from '../api/media.js';
import { inside } from '../datasets/folder-safety.js';
import { contentSecurityPolicy } from './csp.js';
import { receiveUpload } from './uploads.js';

export interface ServeOptions {
  studio: Studio;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  port?: number;
  host?: string;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const cookieName = 'gan_studio_token';

const badEncoding =
  'The URL has broken percent-encoding (a % not followed by a valid UTF-8 sequence). Check the address.';

const statusOf: Record<ErrorCode, number> = {
  invalid_input: 400,
  unknown_method: 404,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unauthorized: 401,
  unavailable: 503,
  internal: 500,
};

function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function tokenOf(req: http.IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const cookies = req.headers.cookie?.split(';').map((c) => c.trim().split('=')) ?? [];
  return cookies.find(([k]) => k === cookieName)?.[1];
}

/**
 * Whether a request comes from the studio's own page, or from no page at all (curl, scripts,
 * tests: the token alone decides for them). The session cookie is SameSite=Strict, but a site is
 * a host without its port, so a page at 127.0.0.1:<any port> gets it sent along: the origin the
 * browser names must be this server's exactly. Call after the Host header was checked.
 */
function fromOwnPage(req: http.IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  return origin === undefined || origin === `http://${req.headers.host}`;
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function errorEnvelope(code: ErrorCode, message: string): Envelope<never> {
  return { ok: false, error: { code, message } };
}

function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxRequestBytes) {
      req.resume();
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxRequestBytes) {
        req.destroy();
        resolve('too-large');
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * `serve` mode: the built renderer plus the same API as the desktop app, on loopback. Requests are
 * `POST /api/<method>` with a JSON body; events arrive over the WebSocket at `/ws`. Both need the
 * token printed in the URL (as a bearer header, a query parameter, or the cookie the page gets).
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { studio, staticDir } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  let port = options.port ?? 0;

  const allowedHost = (value: string | undefined): boolean => {
    // Guards against DNS rebinding: a page on another origin that resolves to 127.0.0.1.
    if (!value) return false;
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`].includes(value);
  };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      console.error('[serve] request failed:', err);
      if (!res.headersSent)
        sendJson(res, 500, errorEnvelope('internal', 'The server failed on this request; see its console.'));
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    if (!allowedHost(req.headers.host)) {
      sendJson(
        res,
        403,
        errorEnvelope('unauthorized', 'Requests must address 127.0.0.1 or localhost directly.'),
      );
      return;
    }
    const authorized = sameToken(tokenOf(req, url), token);
    const isApi = url.pathname.startsWith('/api/');
    if (
      (isApi || url.pathname.startsWith('/upload/') || url.pathname.startsWith('/media/')) &&
      !fromOwnPage(req)
    ) {
      sendJson(
        res,
        403,
        errorEnvelope(
          'unauthorized',
          `Only the studio's own page may call its API; this request came from ${req.headers.origin ?? 'another site'}. ` +
            'Open the URL that `gan-studio serve` printed.',
        ),
      );
      return;
    }

    if (isApi) {
      if (!authorized) {
        sendJson(
          res,
          401,
          errorEnvelope(
            'unauthorized',
            'Missing or wrong token. Open the URL that `gan-studio serve` printed, token included.',
          ),
        );
        return;
      }
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        sendJson(
          res,
          405,
          errorEnvelope('invalid_input', 'API methods are called with POST and a JSON body.'),
        );
        return;
      }
      // A form or a no-cors fetch from another page can only send text/plain, form or multipart
      // bodies without a CORS preflight, which this server never grants.
      if (!isJson(req.headers['content-type'])) {
        sendJson(
          res,
          415,
          errorEnvelope(
            'invalid_input',
            'API calls must send a JSON body with Content-Type: application/json.',
          ),
        );
        return;
      }
      const body = await readBody(req);
      if (body === 'too-large') {
        sendJson(
          res,
          413,
          errorEnvelope(
            'payload_too_large',
            `The request is larger than ${maxRequestBytes / 1024 / 1024} MiB. Send less data in one call.`,
          ),
        );
        return;
      }
      let input: unknown = {};
      if (body.length > 0) {
        try {
          input = JSON.parse(body.toString('utf8'));
        } catch {
          sendJson(res, 400, errorEnvelope('invalid_input', 'The request body is not valid JSON.'));
          return;
        }
      }
      const method = decodeUrlPath(url.pathname.slice('/api/'.length));
      if (method === null) {
        sendJson(res, 400, errorEnvelope('invalid_input', badEncoding));
        return;
      }
      const envelope = await studio.router.call(method, input);
      sendJson(res, envelope.ok ? 200 : statusOf[envelope.error.code], envelope);
      return;
    }

    if (url.pathname.startsWith('/upload/')) {
      if (!authorized) {
        sendJson(res, 401, errorEnvelope('unauthorized', 'Missing or wrong token.'));
        return;
      }
      if (req.method !== 'PUT') {
        sendJson(res, 405, errorEnvelope('invalid_input', 'Upload files with PUT.'));
        return;
      }
      const upload = await receiveUpload(req, studio.datasets, url.pathname);
      if (upload.ok) sendJson(res, 200, { ok: true, result: { folder: upload.folder } });
      else
        sendJson(
          res,
          upload.status,
          errorEnvelope(
            upload.status === 413
              ? 'payload_too_large'
              : upload.status === 503
                ? 'unavailable'
                : 'invalid_input',
            upload.message,
          ),
        );
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, errorEnvelope('invalid_input', 'Only GET is served here.'));
      return;
    }

    if (url.pathname.startsWith('/media/')) {
      if (!authorized) {
        sendJson(res, 401, errorEnvelope('unauthorized', 'Missing or wrong token.'));
        return;
      }
      const media = await studio.media.resolve(url.pathname);
      if (!media) {
        sendJson(res, 404, errorEnvelope('not_found', 'No such image.'));
        return;
      }
      res.writeHead(200, { 'content-type': media.contentType, 'cache-control': 'private, max-age=60' });
      fs.createReadStream(media.file).pipe(res);
      return;
    }

    // The page itself: the token in the URL becomes a same-site cookie, so fetch, images and the
    // WebSocket carry it without the page's script ever handling it.
    if (authorized && url.searchParams.has('token')) {
      res.setHeader('set-cookie', `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    const decoded = decodeUrlPath(url.pathname);
    if (decoded === null) {
      sendJson(res, 400, errorEnvelope('invalid_input', badEncoding));
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    const file = path.resolve(staticDir, rel);
    const target =
      inside(staticDir, file) && fs.existsSync(file) && fs.statSync(file).isFile()
        ? file
        : path.join(staticDir, 'index.html');
    if (!fs.existsSync(target)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`The UI has not been built: run \`npm run build\` (or \`npm run serve\`), then reload.\n`);
      return;
    }
    const headers: Record<string, string> = { 'content-type': contentTypeOf(target) };
    if (target.endsWith('.html')) {
      headers['content-type'] = 'text/html; charset=utf-8';
      headers['content-security-policy'] = contentSecurityPolicy;
      headers['cache-control'] = 'no-store';
    } else if (target.endsWith('.js')) headers['content-type'] = 'text/javascript; charset=utf-8';
    else if (target.endsWith('.css')) headers['content-type'] = 'text/css; charset=utf-8';
    else if (target.endsWith('.svg')) headers['content-type'] = 'image/svg+xml';
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(target).pipe(res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws' || !allowedHost(req.headers.host) || !sameToken(tokenOf(req, url), token)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    // Browsers send the same-site cookie to every port of a host: the token alone does not tell
    // the studio's page from another one on 127.0.0.1. A browser always names the page's origin.
    if (!fromOwnPage(req)) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });
  const unsubscribe = studio.events.subscribe((event) => {
    const text = JSON.stringify({ event: event.name, payload: event.payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
