/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import { join } from 'node:path';
import { runTool } from '../../helpers/cli';
import { SEED_DIR, freshDatabase, replaceLine, seedCopy, useLocalMariadb } from '../../helpers/mariadb';

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

  test('bad input exits 1 with path:line:column errors and the database untouched', async () => {
    const database = await freshDatabase(server.admin());
    const dir = seedCopy({ insurance: (t) => replaceLine(t, 3, 'INS2,') });
    const { code, stdout } = await seedCli([...target(database), '--dir', dir]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${join(dir, 'insurance.csv')}:3:6: plan is required`);
    expect(stdout).toMatch(/failed with 1 error\(s\); the transaction was rolled back and the database is as it was/);
    const [rows] = await server.admin().query(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}'`);
    expect((rows as { n: number }[])[0].n).toBe(0);
  });

  test('a typo of a flag is refused before anything is touched: no database, no table', async () => {
    const database = await freshDatabase(server.admin());
    const { code, stderr } = await seedCli([...target(database), '--dry-rn']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown option '--dry-rn'; did you mean --dry-run\?/);
    const [rows] = await server.admin().query(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}'`);
    expect((rows as { n: number }[])[0].n).toBe(0);
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
  ])('%s is an input error (exit 2)', async (_case, args, message) => {
    const { code, stderr } = await seedCli([...target('unused'), ...args(SEED_DIR)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
