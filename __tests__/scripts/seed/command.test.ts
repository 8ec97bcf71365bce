/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LocatedError, formatError } from '../../../scripts/seed/csv-validation';
import { ROOT, TSX, runTool } from '../../helpers/cli';
import { processesMentioning } from '../../helpers/processes';
import { SEED_DIR, freshDatabase, lineOf, replaceLine, seedCopy, useLocalMariadb } from '../../helpers/mariadb';
import { unreadableFile } from '../../helpers/unreadable';

describe('npm run seed (the command)', () => {
  const server = useLocalMariadb();
  const seedCli = (args: string[]): ReturnType<typeof runTool> => runTool('seed', args, { MYSQL_PWD: server.db().password });
  const target = (database: string): string[] => [
    '--host',
    server.db().host,
    '--port',
    String(server.db().port),
    '--user',
    'root',
    '--database',
    database,
    '--ssl-mode',
    'DISABLED',
  ];

  test('--help explains targets, inputs and exit codes', async () => {
    const { code, stdout } = await seedCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--dir <dir>/);
    expect(stdout).toMatch(/MYSQL_PWD/);
    expect(stdout).toMatch(/--threads <n>/);
    expect(stdout).toMatch(/Exit codes: 0 success, 1 a check or rule failed, 2 usage or input error/);
  });

  test('loads the committed seed and prints a JSON report; a second run is a no-op', async () => {
    const database = await freshDatabase(server.admin());
    const first = await seedCli([...target(database), '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).tables.map((t: { inserted: number }) => t.inserted)).toEqual([5, 25, 500, 100, 250, 250]);
    const second = await seedCli(target(database));
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^patient\s+500\s+0\s+0\s+500\s+0\s+0/m);
  });

  const tablesIn = async (database: string): Promise<number> => {
    const [rows] = await server.admin().query(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}'`);
    return (rows as { n: number }[])[0].n;
  };

  test('bad input exits 1 with path:line:column errors and the database untouched', async () => {
    const database = await freshDatabase(server.admin());
    const dir = seedCopy({ insurance: (t) => replaceLine(t, 3, 'INS2,') });
    const { code, stdout } = await seedCli([...target(database), '--dir', dir]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${join(dir, 'insurance.csv')}:3:6: plan is required`);
    expect(stdout).toMatch(
      /failed with 1 error\(s\); the transaction was rolled back and the tables this run created \(smoke_probe, account, .*, insurance\) were dropped; the database is as it was/,
    );
    expect(await tablesIn(database)).toBe(0);
  });

  test('a bare quote exits 1 at once, naming its line and column and the fix', async () => {
    const database = await freshDatabase(server.admin());
    const dir = seedCopy({ patient: (t) => replaceLine(t, 4, lineOf(t, 4).replace(/^(PER3),[^,]+,/, '$1,Bob "Bobby",')) });
    const { code, stdout } = await seedCli([...target(database), '--dir', dir, '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { errors: LocatedError[]; seconds: number };
    expect(report.errors.map(formatError)).toEqual([
      `${join(dir, 'patient.csv')}:4:10: a quote inside an unquoted value: quote the whole value and double each quote in it, as in "Bob ""Bobby"""`,
    ]);
    expect(report.seconds).toBeLessThan(5);
    expect(await tablesIn(database)).toBe(0);
  });

  test('a file that cannot be read mid-run is an input error (exit 2) saying where, and what was undone', async () => {
    const database = await freshDatabase(server.admin());
    // /proc/self/mem passes as a regular file, and reading it fails with EIO, whoever runs the test.
    const { code, stderr } = await seedCli([...target(database), '--dir', SEED_DIR, '--file', 'patient=/proc/self/mem']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /\/proc\/self\/mem:1:1: reading stopped here: .*EIO.*; the transaction was rolled back and the tables this run created \(.*\) were dropped; the database is as it was/,
    );
    expect(await tablesIn(database)).toBe(0);
  });

  test('Ctrl-C during a first load exits 130 and leaves the fresh database as it was found', async () => {
    const database = await freshDatabase(server.admin());
    const rows = Array.from(
      { length: 300_000 },
      (_, i) => `PER${i + 1},Ann,Lee,ann${i}@example.com,1/2/1990,"${i} Main Street",02139,INS${(i % 5) + 1}`,
    );
    const dir = seedCopy({ patient: () => `person_id,first_name,last_name,email,dob,address,zip,insurance\n${rows.join('\n')}\n` });
    const run = spawn(TSX, [join(ROOT, 'scripts', 'run.ts'), 'seed', ...target(database), '--dir', dir], {
      cwd: ROOT,
      env: { ...process.env, MYSQL_PWD: server.db().password, FORCE_COLOR: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => run.once('exit', (code) => resolve(code)));
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      run.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Printed once 100,000 patients are validated, while their LOAD DATA is still open.
        if (/validate patient/.test(stderr)) resolve();
      });
      void exited.then(() => reject(new Error(`seed exited before loading patients: ${stderr}`)));
    });
    // Straight to the seed process: tsx, its parent, relays a signal and SIGKILLs a child that is slow to answer it.
    const seed = processesMentioning(database)
      .map((found) => Number(found.split(' ')[0]))
      .filter((pid) => pid !== run.pid);
    expect(seed).toHaveLength(1);
    process.kill(seed[0], 'SIGINT');
    expect(await exited).toBe(130);
    expect(await tablesIn(database)).toBe(0);
  });

  test('with validation threads, the process exits as soon as it has printed its report', async () => {
    const database = await freshDatabase(server.admin());
    const run = spawn(TSX, [join(ROOT, 'scripts', 'run.ts'), 'seed', ...target(database), '--threads', '2', '--json'], {
      cwd: ROOT,
      env: { ...process.env, MYSQL_PWD: server.db().password, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let [stdout, lastOutput] = ['', 0];
    run.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      lastOutput = Date.now();
    });
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true });
    // Nothing (a thread, a socket, a stream) keeps it waiting after the work is done.
    expect((Date.now() - lastOutput) / 1000).toBeLessThan(3);
  });

  test('a typo of a flag is refused before anything is touched: no database, no table', async () => {
    const database = await freshDatabase(server.admin());
    const { code, stderr } = await seedCli([...target(database), '--dry-rn']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown option '--dry-rn'; did you mean --dry-run\?/);
    expect(await tablesIn(database)).toBe(0);
  });

  test('an unreachable server is an environment error (exit 3) naming it', async () => {
    const { code, stderr } = await seedCli([
      '--host',
      '127.0.0.1',
      '--port',
      '1',
      '--user',
      'root',
      '--database',
      'x',
      '--ssl-mode',
      'DISABLED',
    ]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/cannot connect to MySQL at 127\.0\.0\.1:1 as root/);
  });

  test.each([
    ['a folder given as a file', (dir: string) => ['--file', `patient=${dir}`], /is a folder, not a file/],
    [
      'a table given twice',
      (dir: string) => ['--file', `patient=${dir}/patient.csv`, '--file', `patient=${dir}/patient.csv`],
      /table patient is already given/,
    ],
    ['a missing file', (dir: string) => ['--file', `patient=${dir}/nope.csv`], /does not exist/],
    ['a file this process may not read', () => ['--file', `patient=${unreadableFile(seedCopy())}`], /is not readable/],
  ])('%s is an input error (exit 2)', async (_case, args, message) => {
    const { code, stderr } = await seedCli([...target('unused'), ...args(SEED_DIR)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
