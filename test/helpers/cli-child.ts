// Runs the CLI from sources in a child process (`node --import tsx test/helpers/cli-child.ts …`),
// so a test can kill it as a user's crash would.
import { runCli } from '../../main/cli/index.js';

process.exitCode = await runCli(process.argv.slice(2));
