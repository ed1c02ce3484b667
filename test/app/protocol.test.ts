import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Studio } from '../../main/studio.js';
import { dataPaths } from '../../main/common/paths.js';
import { defaultTrainConfig } from '../../shared/config.js';
import { tempDir } from '../helpers/temp.js';

// Electron's binary is not installed here: protocol.ts registers its handler with a stand-in,
// and the test asks that handler what the desktop window would.
const electron = vi.hoisted(() => ({
  handler: null as ((request: { url: string }) => Promise<Response>) | null,
}));
vi.mock('electron', () => ({
  protocol: {
    handle: (_scheme: string, handler: (request: { url: string }) => Promise<Response>) => {
      electron.handler = handler;
    },
  },
}));

const { registerAppProtocol } = await import('../../main/app/protocol.js');

let studio: Studio | null = null;
afterEach(async () => {
  await studio?.close();
  studio = null;
});

function open() {
  studio = new Studio({ dataDir: tempDir(), shell: 'serve' });
  const renderer = tempDir();
  fs.writeFileSync(path.join(renderer, 'index.html'), '<div id="app"></div>');
  registerAppProtocol(studio, renderer);
  const run = studio.runs.create({ name: 'r', datasetId: null, config: defaultTrainConfig });
  const samples = dataPaths.runSamples(studio.options.dataDir, run.id);
  fs.mkdirSync(samples, { recursive: true });
  const get = (p: string) => electron.handler!({ url: `app://studio${p}` });
  return { s: studio, get, runId: run.id, samples };
}

const png = (r: number) =>
  sharp({ create: { width: 40, height: 40, channels: 3, background: { r, g: 9, b: 9 } } }).png();

describe('app:// in the desktop window', () => {
  it('answers an error for a sample that is a folder or a link, and serves the real ones', async () => {
    const { get, runId, samples } = open();
    fs.mkdirSync(path.join(samples, 'step-0000010.png'));
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret-token-123');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(samples, 'x.png'));
    await png(50).toFile(path.join(samples, 'step-0000020.png'));

    for (const name of ['step-0000010.png', 'x.png']) {
      const refused = await get(`/media/runs/${runId}/samples/${name}`);
      expect({ name, status: refused.status }).toEqual({ name, status: 404 });
      const body = await refused.text();
      expect(JSON.parse(body)).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(refused.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    }
    const own = await get(`/media/runs/${runId}/samples/step-0000020.png`);
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe('image/png');
    expect(own.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(own.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await sharp(Buffer.from(await own.arrayBuffer())).metadata()).width).toBe(40);
  });

  it('shows a dataset’s SVG as a PNG, never as a document that runs its script', async () => {
    const { s, get } = open();
    const folder = tempDir();
    fs.writeFileSync(
      path.join(folder, 'drawing.svg'),
      '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32"/>' +
        "<script>document.title = 'pwned'</script></svg>",
    );
    const { id } = await s.datasets.add({ path: folder });
    await s.datasets.waitForScan(id);
    const [file] = s.datasets.files({ id }).files;
    const original = await get(`/media/datasets/${id}/files/${file!.id}`);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('image/png');
    expect(await original.text()).not.toContain('<script');
  });

  it('serves the built UI with its CSP, and 404 for what is not there', async () => {
    const { get } = open();
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<div id="app">');
    expect((await get('/assets/missing.js')).status).toBe(404);
    expect((await get('/../../etc/passwd')).status).toBe(404);
  });
});
