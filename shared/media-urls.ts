/**
 * The `/media/…` URLs by which the UI shows images and downloads exports, built and read in this
 * one place: the engine builds them into API results and events, the renderer builds the dataset
 * ones itself, and the media resolver (main/api/media.ts) reads them back for the Electron
 * protocol and `serve` alike.
 *
 *   /media/runs/<runId>/samples/<file>.png             a run's sample grid
 *   /media/datasets/<id>/thumbs/<fileId>                a dataset image's thumbnail
 *   /media/datasets/<id>/files/<fileId>                 a dataset image as scanned
 *   /media/exports/<runId>/<name>[/<file>]              what the latent explorer exported
 */

const segments = (...parts: (string | number)[]) => parts.map((p) => encodeURIComponent(String(p))).join('/');

export const mediaUrls = {
  /** A file of a run's folder by its path there, e.g. `samples/step-0000100.png`. */
  runFile: (runId: string, file: string) => `/media/runs/${segments(runId, ...file.split('/'))}`,
  thumbnail: (datasetId: string, fileId: number) => `/media/datasets/${segments(datasetId)}/thumbs/${fileId}`,
  original: (datasetId: string, fileId: number) => `/media/datasets/${segments(datasetId)}/files/${fileId}`,
  export: (runId: string, ...names: string[]) => `/media/exports/${segments(runId, ...names)}`,
};

export type MediaTarget =
  | { kind: 'sample'; runId: string; file: string }
  | { kind: 'thumbnail' | 'original'; datasetId: string; fileId: number }
  | { kind: 'export'; runId: string; name: string; inner: string | undefined };

/**
 * What a `/media/…` path names, or null for anything else: broken percent-encoding, a segment
 * that would climb (`..`, or a slash smuggled in encoded), or a shape not listed above.
 */
export function parseMediaUrl(urlPath: string): MediaTarget | null {
  let parts: string[];
  try {
    parts = urlPath.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null;
  }
  if (parts[0] !== 'media' || parts.some((p) => p === '..' || p.includes('/') || p.includes('\\')))
    return null;
  if (parts[1] === 'exports') {
    const [, , runId, name, inner] = parts;
    if (!runId || !name || parts.length > 5) return null;
    return { kind: 'export', runId, name, inner };
  }
  const [, kind, id, sub, name] = parts;
  if (!kind || !id || !sub || !name || parts.length !== 5) return null;
  if (kind === 'runs' && sub === 'samples') return { kind: 'sample', runId: id, file: `samples/${name}` };
  if (kind === 'datasets' && (sub === 'thumbs' || sub === 'files')) {
    const fileId = Number(name);
    if (!Number.isInteger(fileId)) return null;
    return { kind: sub === 'thumbs' ? 'thumbnail' : 'original', datasetId: id, fileId };
  }
  return null;
}
