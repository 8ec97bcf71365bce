import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Connection } from 'mysql2/promise';
import { LocalMariadb, startLocalMariadb } from '../../scripts/lib/local-mariadb';
import { freshDatabase, replaceLine, seedCopy } from '../helpers/mariadb';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

async function seedCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'seed.ts'), ...args], {
      cwd: ROOT, env: { ...process.env, MYSQL_PWD: '', FORCE_COLOR: '0' }, timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('npm run seed (the zx command)', () => {
  let db: LocalMariadb;
  let admin: Connection;
  beforeAll(async () => {
    db = await startLocalMariadb();
    admin = await db.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.stop();
  });
  const target = (database: string): string[] => ['--host', db.host, '--port', String(db.port), '--user', 'root', '--database', database, '--ssl-mode', 'DISABLED'];

  test('--help explains targets, inputs and exit codes', async () => {
    const { code, stdout } = await seedCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--dir DIR/);
    expect(stdout).toMatch(/MYSQL_PWD/);
    expect(stdout).toMatch(/Exit status/);
  });

  test('loads the committed seed and prints a JSON report; a second run is a no-op', async () => {
    const database = await freshDatabase(admin);
    const first = await seedCli([...target(database), '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).tables.map((t: { inserted: number }) => t.inserted)).toEqual([5, 25, 500, 100, 250, 250]);
    const second = await seedCli(target(database));
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^patient\s+500\s+0\s+0\s+500\s+0\s+0/m);
  });

  test('bad input exits 1 with path:line:column errors and the database untouched', async () => {
    const database = await freshDatabase(admin);
    const dir = seedCopy({ insurance: (t) => replaceLine(t, 3, 'INS2,') });
    const { code, stderr, stdout } = await seedCli([...target(database), '--dir', dir]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, 'insurance.csv')}:3:6: plan is required`);
    expect(stdout).toMatch(/failed with 1 error\(s\); the database is unchanged/);
    const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}'`);
    expect((rows as { n: number }[])[0].n).toBe(0);
  });

  test('a password flag is refused: passwords come from MYSQL_PWD only', async () => {
    const { code, stderr } = await seedCli([...target('x'), '--password', 'hunter2']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/passwords are never flags: set MYSQL_PWD/);
  });
});
