/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import mysql, { RowDataPacket } from 'mysql2/promise';
import { generate } from 'selfsigned';
import { pendingCleanups } from '../../../scripts/cli/interrupts';
import { LocalMariadb, MariadbMissingError, ensureMariadbInstalled, startLocalMariadb } from '../../../scripts/local/mariadb';
import { eventually, processesLeft, processesMentioning } from '../../helpers/processes';

const ROOT = join(__dirname, '..', '..', '..');

describe('finding MariaDB', () => {
  test('where it is missing and cannot be installed, the error gives the exact install command', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-mariadb-'));
    const attempt = ensureMariadbInstalled({ searchDirs: [empty], canInstall: false });
    await expect(attempt).rejects.toThrow(MariadbMissingError);
    await expect(ensureMariadbInstalled({ searchDirs: [empty], canInstall: false })).rejects.toThrow(
      'MariaDB is not installed. Install it with: apt-get update && apt-get install -y mariadb-server',
    );
    rmSync(empty, { recursive: true });
  });

  test('where it is installed, nothing is installed again', async () => {
    await expect(ensureMariadbInstalled({ canInstall: false })).resolves.toBeUndefined();
  });
});

/** The promise's value, or 'still running' after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface Owner {
  /** The owner's own TMPDIR: everything the server creates must be inside it. */
  readonly tmp: string;
  readonly stderr: () => string;
  readonly pid: () => number;
  readonly exited: Promise<number | null>;
}

/** Starts `__tests__/fixtures/start-mariadb.ts` in its own process with its own TMPDIR. */
function startOwner(): Owner {
  const tmp = mkdtempSync(join(tmpdir(), 'mariadb-owner-'));
  const child: ChildProcess = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, '__tests__', 'fixtures', 'start-mariadb.ts')], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { tmp, stderr: () => stderr, pid: () => Number(/owner pid (\d+)/.exec(stderr)![1]), exited };
}

/** What is left in the owner's TMPDIR, apart from the cache and IPC folder tsx itself keeps there. */
const leftovers = (tmp: string): string[] => readdirSync(tmp).filter((name) => !name.startsWith('tsx-'));

type Moment = [string, (owner: Owner) => boolean];
const MOMENTS: Moment[] = [
  ['right after the data folder initialization began', (owner) => owner.stderr().includes('initializing the MariaDB data folder')],
  ['while mariadb-install-db runs its bootstrap server', (owner) => processesMentioning(owner.tmp).some((p) => p.includes('--bootstrap'))],
  ['while the TLS certificate is generated', (owner) => owner.stderr().includes('generating the TLS certificate')],
  ['right after mariadbd was spawned', (owner) => owner.stderr().includes('mariadbd started')],
  ['once the server accepts connections', (owner) => owner.stderr().includes('ready')],
];

async function signalAt(moment: Moment[1], signal: NodeJS.Signals): Promise<Owner> {
  const owner = startOwner();
  const reached = await eventually(() => moment(owner), Boolean, 60_000, 5);
  if (!reached) throw new Error(`the moment never came; the owner said:\n${owner.stderr()}`);
  process.kill(owner.pid(), signal);
  return owner;
}

/** The watchdog (`node -e`) may still be polling for up to half a second after its owner cleaned up. */
const notWatchdog = (process: string): boolean => !/^\d+ \S+ -e /.test(process);

async function expectNothingLeft(owner: Owner, timeoutMs: number): Promise<void> {
  for (const probe of [() => processesMentioning(owner.tmp), () => leftovers(owner.tmp)]) {
    expect(await eventually(probe, (found) => found.length === 0, timeoutMs)).toEqual([]);
  }
  rmSync(owner.tmp, { recursive: true, force: true });
}

describe('a throwaway MariaDB cannot outlive its owner', () => {
  test.each(MOMENTS)('SIGINT %s stops every child and removes every folder before the owner exits', async (_, moment) => {
    const owner = await signalAt(moment, 'SIGINT');
    expect(await within(owner.exited, 20_000)).toBe(130);
    // Checked at once, not eventually: the owner's own cleanup did this, not the watchdog.
    expect(processesMentioning(owner.tmp).filter(notWatchdog)).toEqual([]);
    expect(leftovers(owner.tmp)).toEqual([]);
    await expectNothingLeft(owner, 3_000);
  });

  test.each([MOMENTS[1], MOMENTS[4]])(
    'kill -9 of the owner %s: the watchdog stops the server and removes its folder',
    async (_, moment) => {
      const owner = await signalAt(moment, 'SIGKILL');
      await owner.exited;
      await expectNothingLeft(owner, 5_000);
    },
  );
});

describe('a throwaway MariaDB only its owner can use', () => {
  let server: LocalMariadb;
  beforeAll(async () => {
    server = await startLocalMariadb();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const settings = async (): Promise<{ bind: string; socket: string; datadir: string }> => {
    const admin = await server.connect();
    const [rows] = await admin.query<RowDataPacket[]>('SELECT @@bind_address AS bind, @@socket AS socket, @@datadir AS datadir');
    await admin.end();
    return rows[0] as { bind: string; socket: string; datadir: string };
  };

  test('listens on loopback only, with its socket and data in a folder no other account can enter', async () => {
    const { bind, socket, datadir } = await settings();
    expect(server.host).toBe('127.0.0.1');
    expect(bind).toBe('127.0.0.1');
    const folder = dirname(socket);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(datadir.startsWith(`${folder}/`)).toBe(true);
  });

  test.each([
    ['root without a password', 'root', ''],
    ['root with a wrong password', 'root', 'not-the-password'],
    ['an anonymous user', '', ''],
  ])('%s is refused', async (_, user, password) => {
    const attempt = mysql.createConnection({ host: server.host, port: server.port, user, password });
    await expect(attempt).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  });

  test('the handle logs in with the generated password, and it is not a guessable one', async () => {
    expect(server.user).toBe('root');
    expect(server.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const connection = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
    const [rows] = await connection.query<RowDataPacket[]>('SELECT CURRENT_USER() AS user');
    await connection.end();
    expect(rows[0].user).toBe('root@127.0.0.1');
  });

  test('TLS verifies against the exposed CA, and against no other; plain connections keep working', async () => {
    const verified = await mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      ssl: { ca: server.caPem, rejectUnauthorized: true },
    });
    const [tls] = await verified.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_version'");
    await verified.end();
    expect(tls[0].Value).toMatch(/^TLSv1\.[23]$/);

    const stranger = await generate([{ name: 'commonName', value: 'some other CA' }], { keyType: 'ec', algorithm: 'sha256' });
    const untrusted = mysql.createConnection({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      ssl: { ca: stranger.cert, rejectUnauthorized: true },
    });
    await expect(untrusted).rejects.toThrow(/certificate/i);

    const plain = await server.connect();
    const [cipher] = await plain.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    await plain.end();
    expect(cipher[0].Value).toBe('');
  });

  test('stop() stops the server and its watchdog, removes the folder and unregisters every cleanup', async () => {
    const own = await startLocalMariadb();
    const admin = await own.connect();
    const [rows] = await admin.query<RowDataPacket[]>('SELECT @@socket AS socket');
    await admin.end();
    const folder = dirname(String(rows[0].socket));
    expect(pendingCleanups().filter((name) => name.includes(folder))).toEqual([`remove ${folder}`, `stop mariadbd in ${folder}`]);
    expect(processesMentioning(folder).length).toBeGreaterThanOrEqual(2);

    await own.stop();
    expect(existsSync(folder)).toBe(false);
    expect(pendingCleanups().filter((name) => name.includes(folder))).toEqual([]);
    expect(await processesLeft(folder, 3_000)).toEqual([]);
    await expect(own.stop()).resolves.toBeUndefined();
  });
});
