#!/usr/bin/env node
// The CLI runs the compiled engine; `npm run build` (or `npm run serve`) produces it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../out/main/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(
    'gan-studio: the app is not built yet. Run `npm run build` in the project folder first.\n',
  );
  process.exit(1);
}
const { runCli } = await import(cli.href);
process.exitCode = await runCli(process.argv.slice(2));
