import { exitWhenDone, runCli } from '../cli/command';
import { GITHUB_COMMANDS } from './commands';

/** Entry point of what the GitHub workflows run: `tsx scripts/github/run.ts <command> [options]` (npm run -s github -- ...). */
exitWhenDone(runCli(GITHUB_COMMANDS, process.argv.slice(2)));
