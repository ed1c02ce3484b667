import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type http from 'node:http';
import { inside } from '../datasets/folder-safety.js';
import { importsFolder } from '../datasets/imports.js';

/** Largest single file accepted by an upload (a big TIFF scan fits; a video does not). */
export const maxUploadBytes = 512 * 1024 * 1024;

const importIdPattern = /^imp-[a-z0-9]{6,40}$/;

export type UploadResult = { ok: true; folder: string } | { ok: false; status: number; message: string };

/**
 * `serve` mode's folder picker: a browser knows a picked folder's files but not its path on
 * disk, so the page uploads them (PUT /upload/<importId>/<relative path>) into
 * `<dataDir>/imports/<importId>/`, keeping subfolders, and then adds that copy as a dataset.
 */
export async function receiveUpload(
  req: http.IncomingMessage,
  dataDir: string,
  urlPath: string,
): Promise<UploadResult> {
  let parts: string[];
  try {
    parts = urlPath.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  } catch {
    return { ok: false, status: 400, message: 'The upload path is not valid URL encoding.' };
  }
  const [importId, ...rel] = parts;
  if (!importId || !importIdPattern.test(importId) || rel.length === 0) {
    return { ok: false, status: 400, message: 'Upload to /upload/<import id>/<relative file path>.' };
  }
  if (rel.some((p) => p === '..' || p === '.' || p.includes('/') || p.includes('\\') || p.includes('\0'))) {
    return { ok: false, status: 400, message: 'A relative file path may not leave its folder.' };
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (!Number.isFinite(declared)) {
    return { ok: false, status: 411, message: 'Send the file with its Content-Length.' };
  }
  if (declared > maxUploadBytes) {
    return {
      ok: false,
      status: 413,
      message: `Files over ${maxUploadBytes / 2 ** 20} MiB are not imported; copy the folder and add its path instead.`,
    };
  }
  const folder = path.join(importsFolder(dataDir), importId);
  const target = path.join(folder, ...rel);
  if (!inside(folder, target)) {
    return { ok: false, status: 400, message: 'A relative file path may not leave its folder.' };
  }
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  // Written beside, then renamed: a dropped connection never leaves a truncated image behind.
  const temp = `${target}.${process.pid}.part`;
  try {
    await pipeline(req, fs.createWriteStream(temp));
    const { size } = await fs.promises.stat(temp);
    if (size !== declared) throw new Error(`received ${size} of ${declared} bytes`);
    await fs.promises.rename(temp, target);
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    return {
      ok: false,
      status: 400,
      message: `The upload of ${rel.join('/')} failed (${(err as Error).message}). Try again.`,
    };
  }
  return { ok: true, folder };
}
