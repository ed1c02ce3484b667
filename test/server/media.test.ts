import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { Studio } from '../../main/studio.js';
import { startServer, type RunningServer } from '../../main/server/server.js';
import { dataPaths } from '../../main/common/paths.js';
import { defaultTrainConfig } from '../../shared/config.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `serve`'s /media/ and static routes against a disk that does not hold what the studio thinks it
 * does: files replaced, linked away, turned into folders. Each answers an error in the API's
 * envelope, serves nothing it should not, and the server carries on.
 */

let studio: Studio | null = null;
let server: RunningServer | null = null;

afterEach(async () => {
  await server?.close();
  await studio?.close();
  server = null;
  studio = null;
});

async function serve(staticDir = path.resolve('out/renderer')) {
  studio = new Studio({ dataDir: tempDir(), shell: 'serve' });
  server = await startServer({ studio, staticDir, port: 0 });
  const base = `http://127.0.0.1:${server.port}`;
  const token = server.token;
  const get = (p: string) => fetch(`${base}${p}`, { headers: { authorization: `Bearer ${token}` } });
  return { studio, server, base, get };
}

/** The server still answers the API: it did not die on the request before. */
async function stillServing(base: string, token: string): Promise<void> {
  const response = await fetch(`${base}/api/runs.list`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{}',
  });
  expect(response.status).toBe(200);
}

const png = (r: number) =>
  sharp({ create: { width: 40, height: 40, channels: 3, background: { r, g: 9, b: 9 } } }).png();

/** A run with an (empty) samples folder, as the manager makes one. */
function runWithSamples(s: Studio): { runId: string; samples: string } {
  const run = s.runs.create({ name: 'r', datasetId: null, config: defaultTrainConfig });
  const samples = dataPaths.runSamples(s.options.dataDir, run.id);
  fs.mkdirSync(samples, { recursive: true });
  return { runId: run.id, samples };
}

async function datasetOf(s: Studio, folder: string) {
  const { id } = await s.datasets.add({ path: folder });
  await s.datasets.waitForScan(id);
  const files = s.datasets.files({ id }).files;
  const fileId = (relPath: string) => files.find((f) => f.relPath === relPath)!.id;
  return { id, fileId };
}

describe('media that cannot be read', () => {
  it('answers an error and keeps serving when a sample is a folder, not a file', async () => {
    const { studio: s, server: srv, base, get } = await serve();
    const { runId, samples } = runWithSamples(s);
    fs.mkdirSync(path.join(samples, 'step-0000010.png'));
    const response = await get(`/media/runs/${runId}/samples/step-0000010.png`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'not_found' } });
    await stillServing(base, srv.token);
  });

  it('answers an error and keeps serving when the UI cannot be read', async () => {
    const staticDir = tempDir();
    fs.mkdirSync(path.join(staticDir, 'index.html')); // not a file: it cannot be read
    const { server: srv, base } = await serve(staticDir);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toMatch(/npm run build/);
    await stillServing(base, srv.token);
  });
});

describe('media served only as the studio wrote or scanned them', () => {
  it('never serves what a link planted among a run’s samples leads to', async () => {
    const { studio: s, get } = await serve();
    const { runId, samples } = runWithSamples(s);
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret-token-123');
    await png(100).toFile(path.join(outside, 'elsewhere.png'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(samples, 'x.png'));
    fs.symlinkSync(path.join(outside, 'elsewhere.png'), path.join(samples, 'y.png'));
    await png(50).toFile(path.join(samples, 'step-0000010.png'));

    for (const name of ['x.png', 'y.png']) {
      const refused = await get(`/media/runs/${runId}/samples/${name}`);
      expect({ name, status: refused.status }).toEqual({ name, status: 404 });
      expect(await refused.text()).not.toContain('secret-token-123');
    }
    const own = await get(`/media/runs/${runId}/samples/step-0000010.png`);
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe('image/png');
  });

  it('serves a dataset image only while it is the file that was scanned', async () => {
    const { studio: s, get } = await serve();
    const folder = tempDir();
    await png(10).toFile(path.join(folder, 'a.png'));
    await png(20).toFile(path.join(folder, 'b.png'));
    const notes = path.join(tempDir(), 'notes.txt');
    fs.writeFileSync(notes, 'private notes, not an image');
    const { id, fileId } = await datasetOf(s, folder);
    expect((await get(`/media/datasets/${id}/files/${fileId('a.png')}`)).status).toBe(200);

    // Replaced after the scan by a hard link to a text file: the same path, another file.
    fs.rmSync(path.join(folder, 'a.png'));
    fs.linkSync(notes, path.join(folder, 'a.png'));
    // Rewritten in place with other content.
    await png(200).resize(30, 30).toFile(path.join(folder, 'b.png'));

    for (const name of ['a.png', 'b.png']) {
      for (const kind of ['files', 'thumbs']) {
        const refused = await get(`/media/datasets/${id}/${kind}/${fileId(name)}`);
        expect({ name, kind, status: refused.status }).toEqual({ name, kind, status: 404 });
        const body = (await refused.json()) as { error: { message: string } };
        expect(body.error.message).toMatch(/changed since.*scan.*[Rr]escan/);
      }
    }
  });

  it('sends every /media/ answer with a sandboxing CSP and nosniff, and an SVG as a PNG', async () => {
    const { studio: s, get } = await serve();
    const folder = tempDir();
    fs.writeFileSync(
      path.join(folder, 'drawing.svg'),
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64" height="48" fill="red"/>' +
        "<script>fetch('/api/runs.list', { method: 'POST' })</script></svg>",
    );
    const { id, fileId } = await datasetOf(s, folder);
    const original = await get(`/media/datasets/${id}/files/${fileId('drawing.svg')}`);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('image/png');
    const image = await sharp(Buffer.from(await original.arrayBuffer())).metadata();
    expect(image).toMatchObject({ format: 'png' });
    expect(image.width! / image.height!).toBeCloseTo(64 / 48, 2);

    const { runId } = runWithSamples(s);
    for (const p of [
      `/media/datasets/${id}/files/${fileId('drawing.svg')}`,
      `/media/datasets/${id}/thumbs/${fileId('drawing.svg')}`,
      `/media/runs/${runId}/samples/nothing.png`,
    ]) {
      const response = await get(p);
      expect(response.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});
