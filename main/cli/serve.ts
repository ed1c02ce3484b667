import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../server/server.js';
import { openStudio, parse, printJson, UsageError } from './common.js';

const rendererDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../renderer');

export const serveUsage = `  gan-studio serve [--port N] [--host H] [--data-dir D]
      Serve the studio to a browser on this machine; prints the URL with its access token.
`;

export async function serve(args: string[]): Promise<void> {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' } } as const);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a number from 0 to 65535, not "${values.port}".`);
  const studio = await openStudio(values['data-dir'], { followOutsideRuns: true, backUp: true });
  const server = await startServer({
    studio,
    staticDir: rendererDir,
    port,
    ...(values.host ? { host: values.host } : {}),
  });
  if (values.json)
    printJson({ url: server.url, port: server.port, token: server.token, dataDir: studio.options.dataDir });
  else {
    process.stdout.write(
      `GAN Studio is serving ${studio.options.dataDir}\nOpen: ${server.url}\nPress Ctrl-C to stop.\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await studio.close();
}
