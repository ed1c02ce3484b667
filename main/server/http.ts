import type http from 'node:http';
import { maxRequestBytes } from '../../shared/api.js';
import type { Envelope, ErrorCode } from '../../shared/errors.js';

/** Small HTTP pieces every `serve` route uses: JSON answers, error envelopes, bodies. */

export const statusOf: Record<ErrorCode, number> = {
  invalid_input: 400,
  unknown_method: 404,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unauthorized: 401,
  unavailable: 503,
  internal: 500,
};

export const badEncoding =
  'The URL has broken percent-encoding (a % not followed by a valid UTF-8 sequence). Check the address.';

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

export function errorEnvelope(code: ErrorCode, message: string): Envelope<never> {
  return { ok: false, error: { code, message } };
}

/** Answers an error in the API's envelope, with the status its code maps to. */
export function sendError(
  res: http.ServerResponse,
  code: ErrorCode,
  message: string,
  status = statusOf[code],
): void {
  sendJson(res, status, errorEnvelope(code, message));
}

export function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

export function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
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
