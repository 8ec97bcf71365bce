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
import { connectMysql } from '../mysql/connection';
import { formatError } from '../seed/csv-validation';
import { formatSmokeReport, smokeVerdict } from '../smoke/report';
import { LocalMariadb, MariadbMissingError, ensureMariadbInstalled, startLocalMariadb } from './mariadb';
import { grantsOfEnvironment } from './personas';
import { checkLocalLake, seedAndExport } from './rehearsal';

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
          'use this server instead of a throwaway MariaDB, e.g. mysql://root@127.0.0.1:3306/unicornhealth (password from MYSQL_PWD)',
        ).argParser(mysqlUrl),
      )
      .addOption(new Option('--env <name>', 'environment whose Lake Formation grants the personas get').default('dev'))
      .addOption(
        new Option(
          '--grants-from <file>',
          "a synthesized stack (cdk.tf.json) whose grants to rehearse, instead of the environment's",
        ).argParser(existingFile),
      )
      .addOption(new Option('--keep', 'keep the local lake folder and print where it is'))
      .addOption(new Option('--verbose', 'list every check, not only the failures')),
  help: `
Starts a throwaway MariaDB (or uses --mysql-url), loads the exports with the real seed loader, exports every table the
way the DMS task does (Parquet under raw/${SOURCE_SCHEMA}/<table>/LOAD00000001.parquet), catalogs it from the files, and
runs the smoke checks with DuckDB standing in for Athena and Redshift. Everything it starts or writes is removed on
exit, Ctrl-C included.`,
  async run(options, { progress, width, env }) {
    const work = temporaryDirectory('unicornhealth-local-');
    let server: LocalMariadb | undefined;
    let connection: Connection | undefined;
    try {
      // The personas' grants first: a bad --grants-from or --env fails before anything starts.
      progress.update('synthesizing the stack to read its Lake Formation grants');
      const grants = await grantsOfEnvironment({ environment: options.env, stackFile: options.grantsFrom, workDir: work.path });
      let database = SOURCE_SCHEMA;
      if (options.mysqlUrl) {
        const url = options.mysqlUrl;
        database = decodeURIComponent(url.pathname.replace(/^\//, '')) || database;
        progress.update(`connecting to ${url.host}`);
        connection = await connectMysql({
          host: url.hostname,
          port: Number(url.port || 3306),
          user: decodeURIComponent(url.username),
          password: env.MYSQL_PWD ?? '',
          database: '',
          sslMode: 'DISABLED',
        });
        await connection.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}`);
        await connection.changeUser({ database });
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
        connection = await server.connect(database);
      }
      const lakeDir = `${work.path}/lake`;
      const { load, exported } = await seedAndExport({
        connection,
        database,
        tables: CLINIC_TABLES,
        inputDir: options.dir ?? 'seed',
        lakeDir,
        workDir: work.path,
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
      progress.update('running the smoke checks on the local lake, each as its persona');
      const result = await checkLocalLake({ connection, tables: CLINIC_TABLES, lakeDir, grants });
      if (options.keep) work.keep();
      return {
        ok: result.ok,
        json: { load, exported, ...(options.keep ? { lakeDir } : {}), ...result },
        text: [
          formatSmokeReport(result, { verbose: options.verbose, width }),
          smokeVerdict(result, 'local rehearsal'),
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
