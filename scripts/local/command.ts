import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chalk, minimist } from 'zx';
import mysql from 'mysql2/promise';
import { CLINIC_TABLES } from '../../contract/clinic';
import { formatError } from '../seed/csv-validation';
import { LocalMariadb, MariadbMissingError, ensureMariadbInstalled, startLocalMariadb } from './mariadb';
import { checkLocalLake, seedAndExport } from './rehearsal';
import { formatChecks } from '../smoke/steps';

const usage = `Usage: npm run local -- [--dir DIR] [--mysql-url URL] [--keep] [--json]

Rehearses the whole data flow on this machine, no AWS account needed: starts a throwaway MariaDB (or uses
--mysql-url), loads the clinic's CSV exports with the real seed loader, exports every table to a local lake the way
the DMS task does (Parquet under raw/unicornhealth/<table>/LOAD00000001.parquet), catalogs it from the files, and
runs the smoke checks with DuckDB standing in for Athena and Redshift. Cleans up on exit, Ctrl-C included.

  --dir DIR          CSV exports to load (default: the committed seed/)
  --mysql-url URL    use this server, e.g. mysql://root@127.0.0.1:3306/unicornhealth (password from MYSQL_PWD)
  --keep             keep the local lake folder and print where it is
  --json             print the result as JSON
Exit status: 0 when every check passes, 1 otherwise.`;

async function main(): Promise<number> {
  const argv = minimist(process.argv.slice(2), { string: ['dir', 'mysql-url'], boolean: ['keep', 'json', 'help'] });
  if (argv.help) {
    console.log(usage);
    return 0;
  }
  const log = (line: string): void => {
    if (!argv.json) console.error(chalk.dim(line));
  };
  const workDir = mkdtempSync(join(tmpdir(), 'unicornhealth-local-'));
  const lakeDir = join(workDir, 'lake');
  let server: LocalMariadb | undefined;
  let connection: mysql.Connection | undefined;
  const cleanup = async (): Promise<void> => {
    await connection?.end().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (!argv.keep) rmSync(workDir, { recursive: true, force: true });
  };
  const interrupted = (): void => {
    log('interrupted: cleaning up');
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    let database = 'unicornhealth';
    if (argv['mysql-url']) {
      const url = new URL(argv['mysql-url']);
      database = url.pathname.replace(/^\//, '') || database;
      connection = await mysql.createConnection({
        host: url.hostname,
        port: Number(url.port || 3306),
        user: decodeURIComponent(url.username),
        password: process.env.MYSQL_PWD ?? decodeURIComponent(url.password),
        dateStrings: true,
        multipleStatements: false,
      });
      await connection.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
      await connection.changeUser({ database });
    } else {
      await ensureMariadbInstalled({ log });
      log('starting a throwaway MariaDB');
      server = await startLocalMariadb();
      const admin = await server.connect();
      await admin.query(`CREATE DATABASE \`${database}\``);
      await admin.end();
      connection = await server.connect(database);
    }
    const { load, exported } = await seedAndExport({
      connection,
      database,
      tables: CLINIC_TABLES,
      inputDir: argv.dir ?? 'seed',
      lakeDir,
      workDir,
      log,
    });
    if (!load.ok) {
      for (const e of load.errors) console.error(formatError(e));
      for (const d of load.schemaDifferences) console.error(`schema: ${d}`);
      console.error(chalk.red('the seed load failed; nothing was exported'));
      return 1;
    }
    const result = await checkLocalLake({ connection, tables: CLINIC_TABLES, lakeDir });
    if (argv.json) console.log(JSON.stringify({ load, exported, lakeDir: argv.keep ? lakeDir : undefined, ...result }, null, 2));
    else {
      console.log(formatChecks(result.checks));
      console.log(
        result.ok
          ? chalk.green(`local rehearsal: all ${result.checks.length} checks passed`)
          : chalk.red(`local rehearsal: ${result.checks.filter((c) => !c.pass).length} check(s) failed`),
      );
      if (argv.keep) console.log(`local lake kept at ${lakeDir}`);
    }
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof MariadbMissingError) console.error(chalk.red(error.message));
    else throw error;
    return 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(chalk.red(error.message));
    process.exit(1);
  },
);
