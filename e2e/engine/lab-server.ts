import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/**
 * Builds the engine lab page (e2e/engine/index.html + lab.ts: the training engine, tfjs-core and
 * the cpu and webgpu backends) and serves it on 127.0.0.1, where pages are a secure context and
 * get navigator.gpu. For e2e/webgpu.spec.ts and bench/webgpu.ts.
 */

const root = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(root, '../../out/engine-lab');

const types: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
};

export interface EngineLabServer {
  url: string;
  close(): Promise<void>;
}

export async function startEngineLab(): Promise<EngineLabServer> {
  await build({
    root,
    base: './',
    logLevel: 'warn',
    configFile: false,
    build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 4096 },
  });
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = path.join(outDir, name === '/' ? 'index.html' : name);
    if (!file.startsWith(outDir + path.sep) || !fs.existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
