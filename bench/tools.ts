import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Option } from '@commander-js/extra-typings';
import { registerCleanup } from '../scripts/cli/interrupts';
import { integer } from '../scripts/cli/options';
import type { LocalMariadb } from '../scripts/local/mariadb';
import { MAX_SCALE, SCALE_1_COUNTS } from '../scripts/seed/generator';

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

/** The size of a benchmark's data set, as `generate-seed --scale` (each unit: 500 patients). */
export const scaleOption = (defaultScale = 2000) =>
  new Option(
    '--scale <n>',
    `data set scale (default ${defaultScale}: ${(defaultScale * SCALE_1_COUNTS.patient).toLocaleString('en-US')} patients)`,
  )
    .default(defaultScale)
    .argParser(integer({ min: 1, max: MAX_SCALE }));

/** Loads a folder of exports into a database of the throwaway server with the seed tool, in its own process. */
export function loadWithSeedTool(
  db: LocalMariadb,
  database: string,
  dir: string,
  extraArgs: readonly string[] = [],
): Promise<Record<string, unknown>> {
  const target = ['--host', db.host, '--port', String(db.port), '--user', db.user, '--database', database, '--ssl-mode', 'DISABLED'];
  return runToolChild('seed', [...target, '--dir', dir, ...extraArgs], { MYSQL_PWD: db.password });
}
