import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Studio } from '../../main/studio.js';
import { startServer, type RunningServer } from '../../main/server/server.js';
import { tempDir } from '../helpers/temp.js';

let studio: Studio | null = null;
let server: RunningServer | null = null;

async function serve(): Promise<{ studio: Studio; server: RunningServer; base: string }> {
  studio = new Studio({ dataDir: tempDir(), shell: 'serve' });
  server = await startServer({ studio, staticDir: path.resolve('out/renderer'), port: 0 });
  return { studio, server, base: `http://127.0.0.1:${server.port}` };
}

afterEach(async () => {
  await server?.close();
  await studio?.close();
  server = null;
  studio = null;
});

const post = (url: string, body: string, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });

/** A request with headers fetch() would not let a test set (Origin, Sec-Fetch-Site). */
async function rawPost(
  port: number,
  urlPath: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve mode', () => {
  it('listens on loopback and prints a URL carrying its token', async () => {
    const { server: s } = await serve();
    expect(s.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${s.port}/\\?token=`));
    expect(s.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers 401 without the token and the result with it', async () => {
    const { server: s, base } = await serve();
    expect((await post(`${base}/api/runs.list`, '{}')).status).toBe(401);
    const ok = await post(`${base}/api/runs.list`, '{}', s.token);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, result: [] });
  });

  it('maps errors to HTTP statuses: unknown method, bad JSON, bad input, oversized body', async () => {
    const { server: s, base } = await serve();
    const unknown = await post(`${base}/api/nope.nothing`, '{}', s.token);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('unknown_method');
    expect((await post(`${base}/api/runs.list`, '{not json', s.token)).status).toBe(400);
    const bad = await post(`${base}/api/runs.get`, JSON.stringify({ id: 5 }), s.token);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'invalid_input', field: 'id' });
    const huge = await post(
      `${base}/api/runs.update`,
      JSON.stringify({ id: 'x', notes: 'a'.repeat(2 * 1024 * 1024) }),
      s.token,
    );
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe('payload_too_large');
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const { server: s } = await serve();
    const http = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: s.port,
          path: '/api/runs.list',
          method: 'POST',
          headers: { host: 'evil.example:80', authorization: `Bearer ${s.token}` },
        },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it('pushes events over the WebSocket only to clients with the token', async () => {
    const { studio: st, server: s } = await serve();
    const refused = new WebSocket(`ws://127.0.0.1:${s.port}/ws`);
    const refusal = await new Promise<string>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      refused.on('error', () => resolve('error'));
    });
    expect(refusal).toBe('401');

    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`);
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    const received = new Promise<unknown>((resolve) =>
      ws.on('message', (data) => resolve(JSON.parse(String(data)))),
    );
    st.events.emit('run.status', { runId: 'r1', status: 'running', step: 3, error: null });
    expect(await received).toEqual({
      event: 'run.status',
      payload: { runId: 'r1', status: 'running', step: 3, error: null },
    });
    ws.close();
  });

  it('serves the built UI with a Content-Security-Policy', async () => {
    const { base } = await serve();
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<div id="app">');
  });

  it('accepts folder uploads into the data folder only, with the token', async () => {
    const { server: s, base, studio: st } = await serve();
    const put = (p: string, body: string, token?: string) =>
      fetch(`${base}${p}`, {
        method: 'PUT',
        body,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    expect((await put('/upload/imp-abcdef12/a.png', 'x')).status).toBe(401);
    const ok = await put('/upload/imp-abcdef12/sub%2Fdir/a.png', 'pixels', s.token);
    expect(ok.status).toBe(400); // an encoded slash inside one segment is refused
    const good = await put('/upload/imp-abcdef12/sub/a.png', 'pixels', s.token);
    expect(good.status).toBe(200);
    const { result } = (await good.json()) as { result: { folder: string } };
    expect(result.folder).toBe(path.join(st.options.dataDir, 'imports', 'imp-abcdef12'));
    const fs = await import('node:fs');
    expect(fs.readFileSync(path.join(result.folder, 'sub', 'a.png'), 'utf8')).toBe('pixels');
    expect((await put('/upload/imp-abcdef12/..%2F..%2Fescape.png', 'x', s.token)).status).toBe(400);
    expect((await put('/upload/imp-abcdef12/%2E%2E/escape.png', 'x', s.token)).status).toBe(400);
    expect((await put('/upload/not-an-import/a.png', 'x', s.token)).status).toBe(400);
    expect(fs.existsSync(path.join(st.options.dataDir, 'imports', 'escape.png'))).toBe(false);
  });

  it('serves only the images of a dataset, never a file a link leads to outside its folder', async () => {
    const { studio: st, server: s, base } = await serve();
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'shadow'), 'root:secret-hash:19000:0:99999:7:::\n');
    const png = (r: number) =>
      sharp({ create: { width: 40, height: 40, channels: 3, background: { r, g: 9, b: 9 } } }).png();
    await png(200).toFile(path.join(outside, 'elsewhere.png'));
    const folder = tempDir();
    await png(10).toFile(path.join(folder, 'inside.png'));
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'not an image');
    fs.symlinkSync(path.join(outside, 'shadow'), path.join(folder, 'shadow.txt'));
    fs.symlinkSync(path.join(outside, 'elsewhere.png'), path.join(folder, 'linked.png'));

    const added = await post(`${base}/api/datasets.add`, JSON.stringify({ path: folder }), s.token);
    const { id } = ((await added.json()) as { result: { id: string } }).result;
    await st.datasets.waitForScan(id);
    const files = st.datasets.files({ id }).files;
    const fileId = (relPath: string) => files.find((f) => f.relPath === relPath)!.id;
    const get = (p: string) => fetch(`${base}${p}`, { headers: { authorization: `Bearer ${s.token}` } });

    const image = await get(`/media/datasets/${id}/files/${fileId('inside.png')}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    for (const name of ['shadow.txt', 'linked.png', 'notes.txt']) {
      const refused = await get(`/media/datasets/${id}/files/${fileId(name)}`);
      expect({ name, status: refused.status }).toEqual({ name, status: 404 });
      expect(await refused.text()).not.toContain('secret-hash');
    }
    expect((await get(`/media/datasets/${id}/thumbs/${fileId('linked.png')}`)).status).toBe(404);
    expect((await get(`/media/datasets/${id}/thumbs/${fileId('inside.png')}`)).status).toBe(200);
  });

  it('refuses API calls and event sockets from another page on the same host', async () => {
    const { studio: st, server: s, base } = await serve();
    const folder = tempDir();
    const body = JSON.stringify({ path: folder });
    const cookie = `gan_studio_token=${s.token}`;
    const own = `http://127.0.0.1:${s.port}`;
    // What a page at http://127.0.0.1:47002 sends with a no-cors fetch: the cookie rides along.
    const foreign = await rawPost(
      s.port,
      '/api/datasets.add',
      {
        cookie,
        origin: 'http://127.0.0.1:47002',
        'sec-fetch-site': 'same-site',
        'content-type': 'text/plain',
      },
      body,
    );
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error.message).toMatch(/own page.*http:\/\/127\.0\.0\.1:47002/);
    // The origin alone, or the fetch metadata alone, is enough to refuse it.
    const json = { cookie, 'content-type': 'application/json' };
    expect(
      (await rawPost(s.port, '/api/datasets.add', { ...json, origin: 'http://localhost:47002' }, body))
        .status,
    ).toBe(403);
    expect((await rawPost(s.port, '/api/datasets.add', { ...json, origin: 'null' }, body)).status).toBe(403);
    expect(
      (await rawPost(s.port, '/api/datasets.add', { ...json, 'sec-fetch-site': 'cross-site' }, body)).status,
    ).toBe(403);
    // The studio's own page, but not JSON: what a form could send.
    const form = await rawPost(
      s.port,
      '/api/datasets.add',
      { cookie, origin: own, 'content-type': 'text/plain' },
      body,
    );
    expect(form.status).toBe(415);
    expect(JSON.parse(form.body).error.message).toContain('application/json');
    expect(st.datasets.list()).toEqual([]);
    // Its own page, as the renderer calls it.
    const ok = await rawPost(
      s.port,
      '/api/datasets.list',
      { ...json, origin: own, 'sec-fetch-site': 'same-origin' },
      '{}',
    );
    expect(ok.status).toBe(200);
    // Media and uploads follow the same rule.
    const media = await fetch(`${base}/media/runs/x/samples/a.png`, {
      headers: { cookie, 'sec-fetch-site': 'same-site' },
    });
    expect(media.status).toBe(403);

    const open = (origin: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws`, { headers: { cookie }, origin });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        ws.on('error', () => resolve('error'));
      });
    expect(await open('http://127.0.0.1:47002')).toBe('403');
    expect(await open(own)).toBe('open');
  });

  it('answers 400, not 500, to requests that are malformed rather than failing', async () => {
    const { server: s, base } = await serve();
    const auth = { authorization: `Bearer ${s.token}` };
    for (const bad of ['/api/%E0%A4%A', '/%E0%A4%A']) {
      const response = await fetch(`${base}${bad}`, {
        method: bad.startsWith('/api/') ? 'POST' : 'GET',
        headers: { ...auth, 'content-type': 'application/json' },
        ...(bad.startsWith('/api/') ? { body: '{}' } : {}),
      });
      expect({ bad, status: response.status }).toEqual({ bad, status: 400 });
      expect((await response.json()).error.message).toMatch(/percent-encoding/);
    }
    // A file name longer than file systems allow.
    const long = await fetch(`${base}/upload/imp-abcdef12/${'n'.repeat(300)}.png`, {
      method: 'PUT',
      headers: auth,
      body: 'pixels',
    });
    expect(long.status).toBe(400);
    expect((await long.json()).error.message).toMatch(/bytes long.*Rename it/);

    const start = (input: unknown) => post(`${base}/api/training.start`, JSON.stringify(input), s.token);
    const preset = await start({ datasetId: 'ds-x', preset: 'bogus' });
    expect(preset.status).toBe(400);
    expect((await preset.json()).error).toMatchObject({
      code: 'invalid_input',
      field: 'preset',
      message: expect.stringMatching(/Unknown preset "bogus". Choose one of: quick/),
    });
    // An unknown config key is refused, not dropped: the run would not be what was asked for.
    for (const key of ['constructor', 'learningRate']) {
      const unknown = await start({ datasetId: 'ds-x', config: { [key]: 1 } });
      expect(unknown.status).toBe(400);
      expect((await unknown.json()).error).toMatchObject({
        code: 'invalid_input',
        field: 'config',
        message: expect.stringContaining(key),
      });
    }
  });
});
