import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option } from '@commander-js/extra-typings';
import type { Connection, RowDataPacket } from 'mysql2/promise';
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

/** What `settleServer` found: how long it took, and the dirty pages left when it gave up (0 when it settled). */
export interface Settled {
  readonly seconds: number;
  readonly dirtyPages: number;
}

const dirtyPages = async (admin: Connection): Promise<number> => {
  const [rows] = await admin.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
  return Number(rows[0].Value);
};

/**
 * Waits until the server has written out the pages an earlier load left dirty, so that each timed load starts from the
 * same quiet server instead of sharing the disk with the previous one's flushing. MariaDB 10.5+ does not flush an idle
 * server's dirty pages by itself while `innodb_max_dirty_pages_pct_lwm` is 0 (its default) and flushes at most
 * `innodb_io_capacity` pages a second when it is not (https://mariadb.com/kb/en/innodb-page-flushing/): a plain wait
 * sat out its whole deadline after every load. So flushing is asked for, at full speed, for the wait only; the
 * settings are put back before the next load is timed.
 */
export async function settleServer(admin: Connection, timeoutSeconds = 120): Promise<Settled> {
  const started = Date.now();
  const [[saved]] = await admin.query<RowDataPacket[]>(
    'SELECT @@GLOBAL.innodb_max_dirty_pages_pct_lwm AS lwm, @@GLOBAL.innodb_io_capacity AS io, @@GLOBAL.innodb_io_capacity_max AS ioMax',
  );
  await admin.query('SET GLOBAL innodb_io_capacity_max = 1000000, innodb_io_capacity = 1000000, innodb_max_dirty_pages_pct_lwm = 0.001');
  try {
    for (let left = await dirtyPages(admin); ; left = await dirtyPages(admin)) {
      const seconds = (Date.now() - started) / 1000;
      // A few pages may be dirtied meanwhile by the server's own background work.
      if (left < 100) return { seconds, dirtyPages: 0 };
      if (seconds >= timeoutSeconds) return { seconds, dirtyPages: left };
      await sleep(100);
    }
  } finally {
    // io_capacity first: it may not exceed io_capacity_max.
    await admin.query('SET GLOBAL innodb_max_dirty_pages_pct_lwm = ?, innodb_io_capacity = ?, innodb_io_capacity_max = ?', [
      Number(saved.lwm),
      Number(saved.io),
      Number(saved.ioMax),
    ]);
  }
}
