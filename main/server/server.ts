import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Studio } from '../studio.js';
import { allowedHost, cookieName, fromOwnPage, sameToken, tokenOf } from './access.js';
import { sendError } from './http.js';
import { handleApi, handleMedia, handleStatic, handleUpload, type RouteDeps } from './routes.js';

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

/**
 * `serve` mode: the built renderer plus the same API as the desktop app, on loopback. Requests are
 * `POST /api/<method>` with a JSON body (routes.ts); events arrive over the WebSocket at `/ws`.
 * Both need the token printed in the URL (as a bearer header, a query parameter, or the cookie the
 * page gets), and a request from a page must come from the studio's own (access.ts).
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { studio } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const deps: RouteDeps = {
    router: studio.router,
    media: studio.media,
    datasets: studio.datasets,
    staticDir: options.staticDir,
  };
  let port = options.port ?? 0;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    if (!allowedHost(req.headers.host, host, port)) {
      sendError(res, 'unauthorized', 'Requests must address 127.0.0.1 or localhost directly.', 403);
      return;
    }
    const authorized = sameToken(tokenOf(req, url), token);
    const route = ['/api/', '/upload/', '/media/'].find((prefix) => url.pathname.startsWith(prefix));
    if (route !== undefined && !fromOwnPage(req)) {
      sendError(
        res,
        'unauthorized',
        `Only the studio's own page may call its API; this request came from ${req.headers.origin ?? 'another site'}. ` +
          'Open the URL that `gan-studio serve` printed.',
        403,
      );
      return;
    }
    const refuseUnauthorized = (message = 'Missing or wrong token.'): boolean => {
      if (!authorized) sendError(res, 'unauthorized', message);
      return !authorized;
    };
    if (route === '/api/') {
      if (
        refuseUnauthorized(
          'Missing or wrong token. Open the URL that `gan-studio serve` printed, token included.',
        )
      )
        return;
      return handleApi(deps, req, res, url);
    }
    if (route === '/upload/') {
      if (refuseUnauthorized()) return;
      return handleUpload(deps, req, res, url);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 'invalid_input', 'Only GET is served here.', 405);
      return;
    }
    if (route === '/media/') {
      if (refuseUnauthorized()) return;
      return handleMedia(deps, req, res, url);
    }
    // The page itself: the token in the URL becomes a same-site cookie, so fetch, images and the
    // WebSocket carry it without the page's script ever handling it.
    if (authorized && url.searchParams.has('token')) {
      res.setHeader('set-cookie', `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    return handleStatic(deps, req, res, url);
  }

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      console.error('[serve] request failed:', err);
      if (!res.headersSent) sendError(res, 'internal', 'The server failed on this request; see its console.');
      else res.end();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (
      url.pathname !== '/ws' ||
      !allowedHost(req.headers.host, host, port) ||
      !sameToken(tokenOf(req, url), token)
    ) {
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
