import { execFile } from 'node:child_process';
import { EnvironmentError } from '../cli/errors';
import { registerCleanup } from '../cli/interrupts';

/** What `terraform plan -detailed-exitcode` said: exit 0 no changes, 2 changes, 1 an error. */
export interface PlanOutcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the drift plan of one synthesized stack folder; injected so tests never run terraform. */
export type PlanRunner = (stackDirectory: string) => Promise<PlanOutcome>;

/** The plan preflight runs: read-only, no lock, no prompt. */
export const planArguments = (stackDirectory: string): string[] => [
  `-chdir=${stackDirectory}`,
  'plan',
  '-detailed-exitcode',
  '-lock=false',
  '-input=false',
  '-no-color',
];

/**
 * `terraform plan` with the caller's AWS credentials, bounded by `timeoutMs` and stopped on Ctrl-C. A missing
 * terraform binary is an environment error (exit 3); any exit code is returned, not thrown.
 */
export function terraformPlanRunner(timeoutMs: number, env: NodeJS.ProcessEnv = process.env): PlanRunner {
  return (stackDirectory) =>
    new Promise((resolve, reject) => {
      const stop = new AbortController();
      const unregister = registerCleanup(
        'stop terraform plan',
        () => stop.abort(),
        () => stop.abort(),
      );
      execFile(
        'terraform',
        planArguments(stackDirectory),
        {
          env: { ...env, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' },
          maxBuffer: 64 * 1024 * 1024,
          timeout: timeoutMs,
          signal: stop.signal,
        },
        (error, stdout, stderr) => {
          unregister();
          if (!error) return resolve({ exitCode: 0, stdout, stderr });
          const failure = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string };
          if (failure.code === 'ENOENT') {
            return reject(
              new EnvironmentError(
                'the terraform CLI is not on PATH: install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install)',
              ),
            );
          }
          if (failure.killed || failure.signal) {
            return reject(
              new EnvironmentError(`terraform plan did not finish within ${Math.round(timeoutMs / 1000)} s (${stackDirectory})`),
            );
          }
          resolve({ exitCode: typeof failure.code === 'number' ? failure.code : 1, stdout, stderr });
        },
      );
    });
}

export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly import: number;
}

/** The counts of `Plan: 1 to add, 2 to change, 0 to destroy.` (and `, 1 to import` on newer Terraform). */
export function parsePlanSummary(output: string): PlanSummary | undefined {
  const match = /Plan: (\d+) to import, (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(output);
  if (match) return { import: Number(match[1]), add: Number(match[2]), change: Number(match[3]), destroy: Number(match[4]) };
  const plain = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(output);
  if (!plain) return undefined;
  return { add: Number(plain[1]), change: Number(plain[2]), destroy: Number(plain[3]), import: 0 };
}

/** `N to add, M to change, K to destroy` (with imports when there are any). */
export const describeSummary = (s: PlanSummary): string =>
  `${s.import > 0 ? `${s.import} to import, ` : ''}${s.add} to add, ${s.change} to change, ${s.destroy} to destroy`;

/** The `Error: ...` lines of a failed plan, or its last lines. */
export function planError(outcome: PlanOutcome): string {
  const text = `${outcome.stderr}\n${outcome.stdout}`;
  const errors = text
    .split('\n')
    .map((line) => line.replace(/^[│╷╵]\s?/, '').trim())
    .filter((line) => line.startsWith('Error:'));
  if (errors.length > 0) return [...new Set(errors)].join(' ');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-3).join(' ') || `terraform plan exited with ${outcome.exitCode}`;
}
