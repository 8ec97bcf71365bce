import { CommandEntry } from './cli/command';

/**
 * Every tool of the project, in one declarative list (`npm run <name>` runs `scripts/run.ts <name>`). A new tool is
 * a folder `scripts/<feature>/` with its library and a `command.ts`, and one entry here.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'local',
    summary: 'Rehearse the whole data flow on this machine, no AWS account',
    load: async () => (await import('./local/command')).localCommand,
  },
  {
    name: 'seed',
    summary: "Validate the clinic's CSV exports and load them into MySQL in one transaction",
    load: async () => (await import('./seed/command')).seedCommand,
  },
  {
    name: 'generate-seed',
    summary: "Write the clinic's CSV exports deterministically from the contract",
    load: async () => (await import('./seed/generate-command')).generateSeedCommand,
  },
  {
    name: 'smoke',
    summary: 'After a release: prove the data arrived intact and governed in Athena and Redshift',
    load: async () => (await import('./smoke/command')).smokeCommand,
  },
  {
    name: 'policy',
    summary: 'HIPAA-minded policy checks on the synthesized stacks or a plan',
    load: async () => (await import('./policy/command')).policyCommand,
  },
  {
    name: 'plan-summary',
    summary: 'Summarize terraform plans for a pull request and guard stateful destroys',
    load: async () => (await import('./policy/summary-command')).planSummaryCommand,
  },
  {
    name: 'plan-offline',
    summary: 'Plan every synthesized stack offline with the terraform CLI and a provider mirror',
    load: async () => (await import('./terraform/plan-offline-command')).planOfflineCommand,
  },
];
