import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../../shared/errors.js';

/**
 * Where everything lives in a data folder, built in this one place:
 *
 *   studio.db                         the store (main/store)
 *   runs/<runId>/                     config.json, samples/, checkpoints/ (main/training)
 *   datasets/<id>/                    a dataset's caches and thumbnails (main/datasets)
 *   imports/<importId>/               folders a browser uploaded in `serve` mode
 *   exports/<runId>/…                 the latent explorer's exports (main/latent)
 *   generated/<stamp>-…/              generated data sets
 *   backups/studio-<stamp>.db         rolling backups of the store (main/store/backup.ts)
 *
 * Ids come from the store, but paths are built from them: one that could climb out of its
 * folder is refused rather than joined.
 */

/** Run and dataset ids as the store makes them. */
export const validId = /^[A-Za-z0-9_-]{1,64}$/;

function child(parent: string, id: string, what: string): string {
  if (!validId.test(id)) throw new ApiError('invalid_input', `"${id}" is not a valid ${what} id.`, 'id');
  return path.join(parent, id);
}

export const dataPaths = {
  runsRoot: (dataDir: string) => path.join(dataDir, 'runs'),
  run: (dataDir: string, runId: string) => child(path.join(dataDir, 'runs'), runId, 'run'),
  runSamples: (dataDir: string, runId: string) => path.join(dataPaths.run(dataDir, runId), 'samples'),
  runCheckpoints: (dataDir: string, runId: string) => path.join(dataPaths.run(dataDir, runId), 'checkpoints'),
  datasetsRoot: (dataDir: string) => path.join(dataDir, 'datasets'),
  dataset: (dataDir: string, id: string) => child(path.join(dataDir, 'datasets'), id, 'dataset'),
  imports: (dataDir: string) => path.join(dataDir, 'imports'),
  exportsRoot: (dataDir: string) => path.join(dataDir, 'exports'),
  exports: (dataDir: string, runId: string) => child(path.join(dataDir, 'exports'), runId, 'run'),
  generatedRoot: (dataDir: string) => path.join(dataDir, 'generated'),
  backups: (dataDir: string) => path.join(dataDir, 'backups'),
};

/** The default data folder, shared by the desktop app and the CLI (Electron's userData). */
export function defaultDataDir(): string {
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'GAN Studio');
    case 'win32':
      return path.join(process.env['APPDATA'] ?? path.join(home, 'AppData', 'Roaming'), 'GAN Studio');
    default:
      return path.join(process.env['XDG_CONFIG_HOME'] ?? path.join(home, '.config'), 'GAN Studio');
  }
}
