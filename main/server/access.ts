import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';

/**
 * Who may use the `serve` API: requests that address this server by a loopback name (not a
 * rebound DNS name), carry its token, and come from its own page or from no page at all.
 */

export const cookieName = 'gan_studio_token';

export function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request carries: a bearer header, the `token` query parameter, or the cookie. */
export function tokenOf(req: http.IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const cookies = req.headers.cookie?.split(';').map((c) => c.trim().split('=')) ?? [];
  return cookies.find(([k]) => k === cookieName)?.[1];
}

/** Guards against DNS rebinding: a page on another origin that resolves to 127.0.0.1. */
export function allowedHost(value: string | undefined, host: string, port: number): boolean {
  if (!value) return false;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`].includes(value);
}

/**
 * Whether a request comes from the studio's own page, or from no page at all (curl, scripts,
 * tests: the token alone decides for them). The session cookie is SameSite=Strict, but a site is
 * a host without its port, so a page at 127.0.0.1:<any port> gets it sent along: the origin the
 * browser names must be this server's exactly. Call after the Host header was checked.
 */
export function fromOwnPage(req: http.IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  return origin === undefined || origin === `http://${req.headers.host}`;
}
