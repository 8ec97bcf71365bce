import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { generate } from 'selfsigned';
import { registerCleanup, stopOnExit, temporaryDirectory } from '../cli/interrupts';

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
  /** Always the loopback address: the server listens nowhere else. */
  readonly host: string;
  readonly port: number;
  /** The administrator account, `root`. */
  readonly user: string;
  /** Generated for this server at start-up; without it nobody, not even another local account, can log in. */
  readonly password: string;
  /**
   * PEM of the throwaway CA that signed the server certificate (for 127.0.0.1 and localhost): connect with
   * `ssl: { ca: caPem, rejectUnauthorized: true }` to verify the server. Plain connections work too.
   */
  readonly caPem: string;
  /** Opens a plain loopback connection as root, optionally to a database. */
  connect(database?: string): Promise<mysql.Connection>;
  /** Stops the server and removes its folder; safe to call more than once. */
  stop(): Promise<void>;
}

export interface LocalMariadbOptions {
  /** How long to wait for the server to accept connections. @default 60 */
  readonly startupSeconds?: number;
  /** Receives a line as each start-up step begins. */
  readonly log?: (line: string) => void;
}

/** Where everything of one throwaway server lives, all inside one private (0700) folder. */
interface ServerFiles {
  readonly folder: string;
  readonly data: string;
  readonly tmp: string;
  readonly socket: string;
  readonly pid: string;
  readonly errorLog: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

function serverFiles(folder: string): ServerFiles {
  return {
    folder,
    data: join(folder, 'data'),
    // Its own temp dir: servers sharing /tmp for internal temporary tables can trip over each other's files.
    tmp: join(folder, 'tmp'),
    socket: join(folder, 'mysqld.sock'),
    pid: join(folder, 'mysqld.pid'),
    errorLog: join(folder, 'mysqld.err'),
    caCert: join(folder, 'ca.pem'),
    serverCert: join(folder, 'server-cert.pem'),
    serverKey: join(folder, 'server-key.pem'),
  };
}

/**
 * The watchdog, run as `node -e` in its own session so that it survives even `kill -9` of its owner: every 500 ms it
 * checks that the owner is still the same live process (pid and start time, so a reused pid does not fool it). When
 * the owner is gone it kills every process whose arguments point into the server's folder (the installer, its
 * bootstrap server, mariadbd), then removes the folder. It exits as soon as the folder is gone, which is how a normal
 * stop ends it. Plain JavaScript in a string: it must not depend on how this file was compiled.
 */
const WATCHDOG_SCRIPT = `
const { existsSync, readFileSync, readdirSync, rmSync } = require('node:fs');
const [ownerPid, ownerStartTime, folder] = process.argv.slice(1);
const startTimeOf = (pid) => {
  try {
    const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
};
const processesInFolder = () =>
  readdirSync('/proc').filter((pid) => {
    if (!/^[0-9]+$/.test(pid) || Number(pid) === process.pid) return false;
    try {
      return readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').some((arg) => arg.includes(folder + '/'));
    } catch {
      return false;
    }
  });
const watch = setInterval(() => {
  if (!existsSync(folder)) process.exit(0);
  if (startTimeOf(ownerPid) === ownerStartTime) return;
  clearInterval(watch);
  const deadline = Date.now() + 5000;
  const killAll = () => {
    const survivors = processesInFolder();
    for (const pid of survivors) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch {}
    }
    if (survivors.length > 0 && Date.now() < deadline) return setTimeout(killAll, 50);
    rmSync(folder, { recursive: true, force: true, maxRetries: 5 });
    process.exit(0);
  };
  killAll();
}, 500);
`;

/** Field 22 of /proc/self/stat, the start time that tells this process apart from a later one with the same pid. */
function ownStartTime(): string | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Starts the watchdog for `folder`; where there is no /proc (not Linux) there is none, and signals still clean up. */
function startWatchdog(folder: string): void {
  const startTime = ownStartTime();
  if (startTime === undefined) return;
  spawn(process.execPath, ['-e', WATCHDOG_SCRIPT, String(process.pid), startTime, folder], {
    detached: true,
    stdio: 'ignore',
  }).unref();
}

const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/**
 * Creates the system tables with root reachable only as root@localhost (socket) and root@127.0.0.1, both with
 * `password`, so the server never runs a moment with a password-less root. The installer runs in its own process
 * group and is killed with it on a signal, so an interrupt stops the bootstrap server it starts as well.
 */
async function initializeDataFolder(installer: string, files: ServerFiles, password: string, asRoot: string[]): Promise<void> {
  const rootOnly = join(files.folder, 'root-password.sql');
  writeFileSync(
    rootOnly,
    [
      "DELETE FROM mysql.global_priv WHERE NOT (User = 'mariadb.sys' OR (User = 'root' AND Host IN ('localhost', '127.0.0.1')));",
      "DELETE FROM mysql.proxies_priv WHERE NOT (User = 'root' AND Host IN ('localhost', '127.0.0.1'));",
      'FLUSH PRIVILEGES;',
      `ALTER USER 'root'@'localhost' IDENTIFIED BY '${password}', 'root'@'127.0.0.1' IDENTIFIED BY '${password}';`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const child = spawn(
    installer,
    [
      '--no-defaults',
      `--datadir=${files.data}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
      `--extra-file=${rootOnly}`,
      // Passed on to the bootstrap server: installs running at once otherwise collide on temporary tables in /tmp.
      `--tmpdir=${files.tmp}`,
      ...asRoot,
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: files.tmp } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  // 'close' waits until every process holding the installer's stderr, its bootstrap server included, has exited.
  const closed = new Promise<string | undefined>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('close', (code, signal) => resolve(code === 0 ? undefined : (signal ?? `exit code ${code}`)));
  });
  const killAll = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // The group has already gone.
    }
  };
  const unregister = registerCleanup(
    `stop mariadb-install-db in ${files.folder}`,
    async () => {
      killAll();
      await closed;
    },
    killAll,
  );
  const timeout = setTimeout(killAll, 120_000);
  try {
    const failure = await closed;
    if (failure) throw new Error(`mariadb-install-db failed (${failure}):\n${stderr}`);
  } finally {
    clearTimeout(timeout);
    unregister();
    // Forced: on an interrupt the whole folder may already be gone.
    rmSync(rootOnly, { force: true });
  }
}

/**
 * A CA made for this server alone and a certificate it signs for 127.0.0.1 and localhost. The CA key is never
 * written anywhere, so nothing else can ever be signed by the CA that callers are told to trust.
 */
async function writeTlsFiles(files: ServerFiles): Promise<string> {
  const ca = await generate([{ name: 'commonName', value: 'unicornhealth throwaway MariaDB CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  writeFileSync(files.caCert, ca.cert, { mode: 0o600 });
  writeFileSync(files.serverCert, server.cert, { mode: 0o600 });
  writeFileSync(files.serverKey, server.private, { mode: 0o600 });
  return ca.cert;
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (!alive(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  if (alive(child)) {
    child.kill('SIGKILL');
    await exited;
  }
}

const errorLogTail = (files: ServerFiles): string => {
  try {
    return readFileSync(files.errorLog, 'utf8').slice(-4000);
  } catch {
    return '(no error log)';
  }
};

/**
 * Starts a throwaway MariaDB that only its owner can use: loopback only, a generated root password, a private 0700
 * folder (data, socket, TLS key), TLS with a CA made for it (`caPem`). Waits at most `startupSeconds` for it to
 * accept connections. Whatever exists is registered for cleanup the moment it exists, so SIGINT or SIGTERM at any
 * point of start-up leaves no process and no folder behind; a watchdog process removes both within a second or so
 * if the owner dies without cleaning up (`kill -9`). `stop()` removes everything.
 */
export async function startLocalMariadb(options: LocalMariadbOptions = {}): Promise<LocalMariadb> {
  const serverBinary = findBinary(['mariadbd', 'mysqld']);
  const installer = findBinary(['mariadb-install-db', 'mysql_install_db']);
  if (!serverBinary || !installer) throw new MariadbMissingError();
  const log = options.log ?? (() => undefined);
  const startupSeconds = options.startupSeconds ?? 60;

  const folder = temporaryDirectory('unicornhealth-mariadb-');
  // mkdtemp already makes it 0700; stated here because the password-protected socket and the TLS key rely on it.
  chmodSync(folder.path, 0o700);
  startWatchdog(folder.path);
  const files = serverFiles(folder.path);
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  const password = randomBytes(24).toString('base64url');
  // A signal may arrive while an await is pending; the cleanups it runs cannot see a child spawned after them, so
  // start-up checks this before each spawn instead.
  const startup = new AbortController();
  const unregisterStartup = registerCleanup(
    `abort starting MariaDB in ${folder.path}`,
    () => startup.abort(),
    () => startup.abort(),
  );
  let server: ChildProcess | undefined;
  let unregisterServer: (() => void) | undefined;
  const stop = async (): Promise<void> => {
    unregisterServer?.();
    if (server) await terminate(server, 10_000);
    folder.remove();
  };

  try {
    log(`initializing the MariaDB data folder ${files.data}`);
    mkdirSync(files.tmp);
    await initializeDataFolder(installer, files, password, asRoot);
    log('generating the TLS certificate');
    const caPem = await writeTlsFiles(files);
    const port = await freePort();
    startup.signal.throwIfAborted();
    server = spawn(
      serverBinary,
      [
        '--no-defaults',
        `--datadir=${files.data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${files.socket}`,
        `--pid-file=${files.pid}`,
        `--log-error=${files.errorLog}`,
        `--tmpdir=${files.tmp}`,
        `--ssl-ca=${files.caCert}`,
        `--ssl-cert=${files.serverCert}`,
        `--ssl-key=${files.serverKey}`,
        '--local-infile=1',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=256M',
        '--innodb-flush-log-at-trx-commit=2',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_bin',
        ...asRoot,
      ],
      { stdio: 'ignore' },
    );
    unregisterServer = stopOnExit(`stop mariadbd in ${folder.path}`, server);
    log(`mariadbd started (pid ${server.pid}) on 127.0.0.1:${port}; waiting for connections`);

    const connect = (database?: string): Promise<mysql.Connection> =>
      mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password, database, dateStrings: true, multipleStatements: false });
    const deadline = Date.now() + startupSeconds * 1000;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
      if (!alive(server)) throw new Error(`MariaDB exited while starting:\n${errorLogTail(files)}`);
      try {
        const probe = await connect();
        await probe.end();
        break;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`MariaDB did not accept connections within ${startupSeconds} s:\n${errorLogTail(files)}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return { host: '127.0.0.1', port, user: 'root', password, caPem, connect, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    unregisterStartup();
  }
}
