import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * A file as the studio serves it (`/media/…` in `serve` and the desktop app): an open file,
 * checked as it was opened, or bytes made for the answer (an SVG original rasterised). Served
 * from the handle, never reopened by path, so what was checked is what is sent.
 */
export interface ServedFile {
  contentType: string;
  size: number;
  body: FileHandle | Buffer;
}

/** The bytes to send; a file's handle is closed when the stream ends, fails or is destroyed. */
export function servedStream(file: ServedFile): Readable {
  return Buffer.isBuffer(file.body) ? Readable.from([file.body]) : file.body.createReadStream();
}

/** Lets go of a file that will not be sent after all (a HEAD request, an answer cut short). */
export async function closeServed(file: ServedFile): Promise<void> {
  if (!Buffer.isBuffer(file.body)) await file.body.close().catch(() => undefined);
}
