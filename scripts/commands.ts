import { AnyCommand, CommandEntry } from './cli/command';

/** A list entry: the command module is loaded only when that command runs. */
const entry = (name: string, summary: string, load: () => Promise<{ command: AnyCommand }>): CommandEntry => ({
  name,
  summary,
  load: async () => (await load()).command,
});

/**
 * Every tool of the project, in one declarative list (`npm run <name>` runs `scripts/run.ts <name>`). A new tool is
 * a folder `scripts/<feature>/` with its library and a `command.ts` exporting `command`, and one entry here.
 */
export const COMMANDS: readonly CommandEntry[] = [
  entry('bootstrap', "Create an account's Terraform state bucket, idempotently", () => import('./bootstrap/command')),
  entry('local', 'Rehearse the whole data flow on this machine, no AWS account', () => import('./local/command')),
  entry('seed', "Validate the clinic's CSV exports and load them into MySQL in one transaction", () => import('./seed/command')),
  entry('generate-seed', "Write the clinic's CSV exports deterministically from the contract", () => import('./seed/generate-command')),
  entry('smoke', 'After a release: prove the data arrived intact and governed in Athena and Redshift', () => import('./smoke/command')),
  entry('policy', 'HIPAA-minded policy checks on the synthesized stacks or a plan', () => import('./policy/command')),
  entry(
    'plan-summary',
    'Summarize terraform plans for a pull request and guard stateful destroys',
    () => import('./policy/summary-command'),
  ),
  entry(
    'preflight',
    'Before a deploy or release: read-only checks of every prerequisite in the AWS account',
    () => import('./preflight/command'),
  ),
  entry(
    'cost',
    'Monthly cost of each environment, at rest and with its activity, from the synthesized stacks',
    () => import('./cost/command'),
  ),
  entry(
    'plan-offline',
    'Plan every synthesized stack offline with the terraform CLI and a provider mirror',
    () => import('./terraform/plan-offline-command'),
  ),
];
