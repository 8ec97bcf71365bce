import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { registerCleanup } from '../scripts/cli/interrupts';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');

/**
 * Runs one of the project's tools in a child process (so its memory is its own), returning its JSON document. An
 * interrupt of the benchmark stops the child too.
 */
export async function runToolChild(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const unregister = registerCleanup(`stop ${command}`, abort, abort);
  let stdout: string;
  try {
    ({ stdout } = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'run.ts'), command, ...args, '--json'], {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      signal: controller.signal,
    }));
  } catch (error) {
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (!stdout) throw error;
  } finally {
    unregister();
  }
  const document = JSON.parse(stdout) as Record<string, unknown>;
  if (document.ok !== true) throw new Error(`${command} failed: ${stdout.slice(0, 2000)}`);
  return document;
}
