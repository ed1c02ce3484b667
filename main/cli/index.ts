import { ApiError } from '../../shared/errors.js';
import { defaultDataDir } from '../common/paths.js';
import { UsageError } from './common.js';
import { datasets, datasetsUsage } from './datasets.js';
import { doctor, doctorUsage } from './doctor.js';
import { latentCli, latentUsage } from './latent.js';
import { runs, runsUsage } from './runs.js';
import { serve, serveUsage } from './serve.js';
import { train, trainUsage } from './train.js';

/**
 * `gan-studio`: one file per command group in this folder, each calling the same API router as
 * the UI (common.ts). This file only dispatches and prints what went wrong.
 */

/** `gan-studio COMMAND --help`: that command's part of the usage. */
const commandUsage: Record<string, string> = {
  serve: `Usage:\n${serveUsage}`,
  datasets: `Usage:\n${datasetsUsage}`,
  train: `Usage:\n${trainUsage}`,
  runs: `Usage:\n${runsUsage}`,
  doctor: `Usage:\n${doctorUsage}`,
};

const usage = `GAN Studio — train GANs on your image folders.

Usage:
${serveUsage}${datasetsUsage}${trainUsage}${runsUsage}${latentUsage}${doctorUsage}
Every command takes --data-dir (default: ${defaultDataDir()}).
`;

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(usage);
      return 0;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(commandUsage[command] ?? usage);
      return 0;
    }
    switch (command) {
      case 'serve':
        await serve(rest);
        break;
      case 'datasets':
        await datasets(rest);
        break;
      case 'runs':
        await runs(rest);
        break;
      case 'train':
        await train(rest);
        break;
      case 'doctor':
        await doctor(rest);
        break;
      case 'latent':
      case 'generate':
      case 'export':
        await latentCli(command, rest);
        break;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${usage}`);
      return 2;
    }
    const message = err instanceof ApiError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`gan-studio: ${message}\n`);
    return 1;
  }
}
