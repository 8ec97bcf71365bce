import { exitWhenDone, runCli } from './cli/command';
import { COMMANDS } from './commands';

/** The one entry point of every tool: `tsx scripts/run.ts <command> [options]`, which `npm run <command>` runs. */
exitWhenDone(runCli(COMMANDS, process.argv.slice(2)));
