import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CommandIo, runCli } from '../../scripts/cli/command';
import { COMMANDS } from '../../scripts/commands';

const run = promisify(execFile);
export const ROOT = join(__dirname, '..', '..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool as a user would, in its own process (`tsx scripts/run.ts <command> ...`). */
export async function runTool(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ToolRun> {
  try {
    const { stdout, stderr } = await run(TSX, [join(ROOT, 'scripts', 'run.ts'), command, ...args], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0', ...env },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

/** Runs a tool in this process with captured output: the same top-level handler, without the cost of a process. */
export async function runInProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ToolRun> {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  };
  const code = await runCli(COMMANDS, [command, ...args], io);
  return { code, stdout, stderr };
}
