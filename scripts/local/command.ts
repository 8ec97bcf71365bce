import { Option } from '@commander-js/extra-typings';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import type { Connection } from 'mysql2/promise';
import { CLINIC_TABLES } from '../../contract/clinic';
import { SOURCE_SCHEMA } from '../../contract/lake';
import { quoteIdentifier } from '../../contract/mysql';
import { defineCommand } from '../cli/command';
import { EnvironmentError } from '../cli/errors';
import { temporaryDirectory } from '../cli/interrupts';
import { existingDirectory, existingFile } from '../cli/options';
import { MysqlTarget, connectMysql } from '../mysql/connection';
import { formatError } from '../seed/csv-validation';
import { formatSmokeReport } from '../smoke/report';
import { refuseRds } from './change-capture';
import { ChangeScript, DEFAULT_CHANGE_SCRIPT, readChangeScript } from './change-script';
import { LocalMariadb, MariadbMissingError, ensureMariadbInstalled, startLocalMariadb } from './mariadb';
import { grantsOfEnvironment } from './personas';
import { checkLocalLake, seedAndExport } from './rehearsal';
import { formatMergeReport, rehearsalVerdict } from './report';

/** `--mysql-url`: a server the user runs; a password in the URL is refused because `ps` would show it. */
function mysqlUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL such as mysql://root@127.0.0.1:3306/unicornhealth.`);
  }
  if (url.protocol !== 'mysql:') throw new InvalidArgumentError(`"${url.protocol}" is not mysql:.`);
  if (url.password)
    throw new InvalidArgumentError('the URL holds a password, which other users can read in the process list; set MYSQL_PWD instead.');
  if (url.port && !(Number(url.port) >= 1 && Number(url.port) <= 65_535))
    throw new InvalidArgumentError(`port ${url.port} is outside 1..65535.`);
  return url;
}

/** `--changes`: a change script, split and checked before anything starts (a bad statement is a usage error). */
function changeScriptFile(value: string): ChangeScript {
  existingFile(value);
  try {
    return readChangeScript(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export const command = defineCommand({
  name: 'local',
  description:
    'Rehearse the whole data flow on this machine (MariaDB, the seed loader, a DMS-like Parquet lake, the smoke checks), no AWS account',
  options: (command) =>
    command
      .addOption(new Option('--dir <dir>', 'CSV exports to load (default: the committed seed/)').argParser(existingDirectory))
      .addOption(
        new Option(
          '--mysql-url <url>',
          'use this server instead of a throwaway MariaDB, e.g. mysql://root@127.0.0.1:3306/unicornhealth (password from MYSQL_PWD); its clinic tables are made equal to the exports, then changed; never RDS',
        ).argParser(mysqlUrl),
      )
      .addOption(new Option('--env <name>', 'environment whose Lake Formation grants the personas get').default('dev'))
      .addOption(
        new Option(
          '--grants-from <file>',
          "a synthesized stack (cdk.tf.json) whose grants to rehearse, instead of the environment's",
        ).argParser(existingFile),
      )
      .addOption(
        new Option(
          '--changes <file>',
          'INSERT/UPDATE/DELETE statements (transactions included) to apply after the full load (default: seed/changes/default.sql)',
        ).argParser(changeScriptFile),
      )
      .addOption(new Option('--no-changes', 'rehearse the full load only'))
      .addOption(new Option('--keep', 'keep the local lake folder and print where it is'))
      .addOption(new Option('--verbose', 'list every check, not only the failures')),
  help: `
Starts a throwaway MariaDB (or uses --mysql-url), loads the exports with the real seed loader and exports the full
load the way the DMS task does (raw/${SOURCE_SCHEMA}/<table>/LOAD00000001.parquet). Then it applies the change script
statement by statement, captures every change with triggers (dropped again afterwards) and writes them as DMS's CDC
files beside the full load; merges the change log into the current-state tables in DuckDB with the generated merge
(the full load, then the changes, then once more, which must change nothing); and runs the smoke checks on the current
tables, DuckDB standing in for Athena and Redshift. A statement of the change script the server refuses stops the run with exit 2, naming the file,
the statement and its line. Everything it starts or writes is removed on exit, Ctrl-C included.`,
  async run(options, { progress, width, env }) {
    const script = options.changes === false ? undefined : (options.changes ?? readChangeScript(DEFAULT_CHANGE_SCRIPT));
    const work = temporaryDirectory('unicornhealth-local-');
    let server: LocalMariadb | undefined;
    let connection: Connection | undefined;
    try {
      // The personas' grants first: a bad --grants-from or --env fails before anything starts.
      progress.update('synthesizing the stack to read its Lake Formation grants');
      const grants = await grantsOfEnvironment({ environment: options.env, stackFile: options.grantsFrom, workDir: work.path });
      let database = SOURCE_SCHEMA;
      let connectToDatabase: () => Promise<Connection>;
      if (options.mysqlUrl) {
        const url = options.mysqlUrl;
        database = decodeURIComponent(url.pathname.replace(/^\//, '')) || database;
        progress.update(`connecting to ${url.host}`);
        const target: MysqlTarget = {
          host: url.hostname,
          port: Number(url.port || 3306),
          user: decodeURIComponent(url.username),
          password: env.MYSQL_PWD ?? '',
          database: '',
          sslMode: 'DISABLED',
        };
        connection = await connectMysql(target);
        await refuseRds(connection);
        await connection.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}`);
        await connection.changeUser({ database });
        connectToDatabase = () => connectMysql({ ...target, database });
      } else {
        try {
          await ensureMariadbInstalled({ log: (line) => progress.log(line) });
        } catch (error) {
          if (error instanceof MariadbMissingError) throw new EnvironmentError(error.message);
          throw error;
        }
        progress.update('starting a throwaway MariaDB');
        server = await startLocalMariadb({ log: (line) => progress.update(line) });
        const admin = await server.connect();
        await admin.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
        await admin.end();
        const started = server;
        connection = await started.connect(database);
        connectToDatabase = () => started.connect(database);
      }
      const lakeDir = `${work.path}/lake`;
      const { load, exported, changes } = await seedAndExport({
        connection,
        database,
        tables: CLINIC_TABLES,
        inputDir: options.dir ?? 'seed',
        lakeDir,
        workDir: work.path,
        changes: script && { script, connect: connectToDatabase },
        log: (line) => progress.update(line),
      });
      if (!load.ok) {
        return {
          ok: false,
          json: { load, exported },
          text: [
            ...load.errors.map(formatError),
            ...load.schemaDifferences.map((d) => `schema: ${d}`),
            'the seed load failed; nothing was exported',
          ].join('\n'),
        };
      }
      progress.update('merging the change log, then running the smoke checks on the current tables, each as its persona');
      const result = await checkLocalLake({ connection, tables: CLINIC_TABLES, lakeDir, grants, workDir: work.path });
      if (options.keep) work.keep();
      return {
        ok: result.ok,
        json: { load, exported, changes: changes ?? {}, ...(options.keep ? { lakeDir } : {}), ...result },
        text: [
          formatMergeReport(result.merge, changes, width),
          '',
          formatSmokeReport(result, { verbose: options.verbose, width }),
          rehearsalVerdict(result),
          ...(options.keep ? [`local lake kept at ${lakeDir}`] : []),
        ].join('\n'),
      };
    } finally {
      await connection?.end().catch(() => undefined);
      await server?.stop().catch(() => undefined);
      if (!options.keep) work.remove();
    }
  },
});
