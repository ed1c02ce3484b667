import type http from 'node:http';
import { ApiError } from '../../shared/errors.js';
import type { DatasetService } from '../datasets/service.js';

export type UploadResult = { ok: true; folder: string } | { ok: false; status: number; message: string };

const statusOf: Partial<Record<ApiError['code'], number>> = {
  payload_too_large: 413,
  unavailable: 503,
};

/**
 * PUT /upload/<importId>/<relative path>: one file of a folder picked in the browser. Only the
 * HTTP side is here; the datasets module decides where the copy goes (datasets/imports.ts).
 */
export async function receiveUpload(
  req: http.IncomingMessage,
  datasets: DatasetService,
  urlPath: string,
): Promise<UploadResult> {
  let parts: string[];
  try {
    parts = urlPath.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  } catch {
    return { ok: false, status: 400, message: 'The upload path is not valid URL encoding.' };
  }
  const [importId, ...relPath] = parts;
  if (!importId || relPath.length === 0) {
    return { ok: false, status: 400, message: 'Upload to /upload/<import id>/<relative file path>.' };
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (!Number.isFinite(declared)) {
    return { ok: false, status: 411, message: 'Send the file with its Content-Length.' };
  }
  try {
    const folder = await datasets.importFile({ importId, relPath, bytes: declared, body: req });
    return { ok: true, folder };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    // What was not read of the body is drained, so the connection answers at once.
    req.resume();
    return { ok: false, status: statusOf[err.code] ?? 400, message: err.message };
  }
}
