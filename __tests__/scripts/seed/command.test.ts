import { join } from 'node:path';
import { runScript } from '../../helpers/cli';
import { freshDatabase, replaceLine, seedCopy, useLocalMariadb } from '../../helpers/mariadb';

const seedCli = (args: string[]): ReturnType<typeof runScript> => runScript('seed/command.ts', args, { MYSQL_PWD: '' });

describe('npm run seed (the zx command)', () => {
  const server = useLocalMariadb();
  const target = (database: string): string[] => ['--host', server.db().host, '--port', String(server.db().port), '--user', 'root', '--database', database, '--ssl-mode', 'DISABLED'];

  test('--help explains targets, inputs and exit codes', async () => {
    const { code, stdout } = await seedCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--dir DIR/);
    expect(stdout).toMatch(/MYSQL_PWD/);
    expect(stdout).toMatch(/Exit status/);
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
    const { code, stderr, stdout } = await seedCli([...target(database), '--dir', dir]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, 'insurance.csv')}:3:6: plan is required`);
    expect(stdout).toMatch(/failed with 1 error\(s\); the database is unchanged/);
    const [rows] = await server.admin().query(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}'`);
    expect((rows as { n: number }[])[0].n).toBe(0);
  });

  test('a password flag is refused: passwords come from MYSQL_PWD only', async () => {
    const { code, stderr } = await seedCli([...target('x'), '--password', 'hunter2']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/passwords are never flags: set MYSQL_PWD/);
  });
});
