import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const run = promisify(execFile);

export const MARIADB_INSTALL_HINT = 'apt-get update && apt-get install -y mariadb-server';

/** Finds a MariaDB (or MySQL) server binary and its data-dir initializer on PATH or in the usual sbin folders. */
const binaryDirs = (): string[] => [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/bin'];

function findBinary(names: string[], dirs: readonly string[] = binaryDirs()): string | undefined {
  for (const name of names) for (const dir of dirs) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

export class MariadbMissingError extends Error {
  override name = 'MariadbMissingError';
  constructor() {
    super(`MariaDB is not installed. Install it with: ${MARIADB_INSTALL_HINT}  (as root; or use --mysql-url for a server you run)`);
  }
}

/**
 * Makes sure a MariaDB server is installed: installs Debian's `mariadb-server` when running as root on a machine
 * with apt-get, otherwise fails with the exact command to run.
 */
export async function ensureMariadbInstalled(
  options: {
    readonly log?: (line: string) => void;
    /** Where to look for the binaries. @default PATH and the usual sbin folders */
    readonly searchDirs?: readonly string[];
    /** Whether installing is possible here. @default running as root with apt-get */
    readonly canInstall?: boolean;
  } = {},
): Promise<void> {
  const dirs = options.searchDirs ?? binaryDirs();
  if (findBinary(['mariadbd', 'mysqld'], dirs) && findBinary(['mariadb-install-db', 'mysql_install_db'], dirs)) return;
  const canInstall = options.canInstall ?? (process.getuid?.() === 0 && findBinary(['apt-get']) !== undefined);
  if (!canInstall) throw new MariadbMissingError();
  const log = options.log ?? (() => undefined);
  log(`MariaDB is missing; installing it: ${MARIADB_INSTALL_HINT}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, timeout: 600_000 });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'mariadb-server', 'mariadb-client'], {
    env,
    timeout: 900_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!findBinary(['mariadbd', 'mysqld'])) throw new MariadbMissingError();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface LocalMariadb {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Opens a connection as root, optionally to a database. */
  connect(database?: string): Promise<mysql.Connection>;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway MariaDB on a free loopback port with its own data directory, and removes both on stop.
 * Waits at most `startupSeconds` for the server to accept connections.
 */
export async function startLocalMariadb(options: { startupSeconds?: number } = {}): Promise<LocalMariadb> {
  const server = findBinary(['mariadbd', 'mysqld']);
  const installer = findBinary(['mariadb-install-db', 'mysql_install_db']);
  if (!server || !installer) throw new MariadbMissingError();
  const dataDir = mkdtempSync(join(tmpdir(), 'unicornhealth-mariadb-'));
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  await run(installer, ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot], {
    timeout: 120_000,
  });
  // Its own temp dir: servers sharing /tmp for internal temporary tables can trip over each other's files.
  const tmpDir = join(dataDir, 'tmp');
  mkdirSync(tmpDir);
  const port = await freePort();
  const child: ChildProcess = spawn(
    server,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dataDir, 'mysqld.sock')}`,
      `--pid-file=${join(dataDir, 'mysqld.pid')}`,
      `--tmpdir=${tmpDir}`,
      '--local-infile=1',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=256M',
      '--innodb-flush-log-at-trx-commit=2',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_bin',
      ...asRoot,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const connect = (database?: string): Promise<mysql.Connection> =>
    mysql.createConnection({ host: '127.0.0.1', port, user: 'root', database, dateStrings: true, multipleStatements: false });

  const deadline = Date.now() + (options.startupSeconds ?? 60) * 1000;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`MariaDB exited while starting:\n${stderr}`);
    }
    try {
      const probe = await connect();
      await probe.end();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`MariaDB did not accept connections within ${options.startupSeconds ?? 60} s:\n${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  return { host: '127.0.0.1', port, user: 'root', connect, stop };
}
