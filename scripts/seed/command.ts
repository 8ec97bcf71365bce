import { chalk, minimist } from 'zx';
import mysql from 'mysql2/promise';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CLINIC_TABLES } from '../../contract/clinic';
import { formatError } from './csv-validation';
import { selectInputFiles } from './input-files';
import { connectionOptions } from '../mysql/connection';
import { UsageError, output, readTerraformOutputs, resolveTarget } from '../mysql/target';
import { LoadMethod, LoadReport, loadClinicData } from './loader';
import { DmsUserResult, provisionDmsUser } from './dms-user';

const usage = `Usage: npm run seed -- [target] [input] [options]

Validates the clinic's CSV exports against the data contract and loads them into MySQL in one transaction:
any error leaves the database exactly as it was. Re-running with the same files changes nothing.

Target (default: the environment's RDS, from Terraform outputs):
  --env NAME              environment whose outputs name the RDS endpoint and master secret (default dev)
  --outputs FILE          read outputs from FILE (terraform output -json) instead of running terraform
  --host H --port P --user U --database D
                          any MySQL/MariaDB; the password comes from MYSQL_PWD, never from a flag
  --ssl-mode MODE         DISABLED | REQUIRED | VERIFY_CA | VERIFY_IDENTITY (default VERIFY_IDENTITY)
  --ca-bundle FILE        trusted CA bundle (for RDS: https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)
  --tls-servername NAME   certificate name to verify when connecting through a port forward (default: rds_endpoint)
  --tunnel-host H         local address of a Session Manager port forward (with --port); TLS still verifies the endpoint

Input (default: the committed seed/ folder):
  --dir DIR               reads <table>.csv for each table; other files are listed as ignored
  --file TABLE=PATH       file of one table (repeatable), for exports with other names

Options:
  --dry-run               validate and check keys, write nothing
  --prune                 delete rows missing from the files (default: leave them)
  --max-errors N          stop after N errors (default 50)
  --load-method M         infile (LOAD DATA LOCAL INFILE from the validated stream, default) | insert
  --dms-user [NAME]       also create/update the DMS reader (default name dms_reader) and store its generated
                          password in the DMS secret (--dms-secret-arn, default output dms_secret_arn)
  --json                  print the report as JSON
  --help                  this text

Exit status: 0 loaded (or dry run passed), 1 invalid input or load failure, 2 usage or schema mismatch.`;

function printReport(report: LoadReport, ignored: string[]): void {
  if (ignored.length > 0) console.log(chalk.dim(`ignored (not a contract table): ${ignored.join(', ')}`));
  for (const difference of report.schemaDifferences) console.error(chalk.red(`schema: ${difference}`));
  for (const error of report.errors) console.error(formatError(error));
  const header = ['table', 'read', 'inserted', 'updated', 'unchanged', 'rejected', 'pruned', 'seconds'];
  const rows = report.tables.map((t) => [t.table, t.read, t.inserted, t.updated, t.unchanged, t.rejected, t.pruned, t.seconds.toFixed(2)].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  const verdict = report.schemaDifferences.length > 0
    ? chalk.red('refused: the database schema differs from the contract; nothing was written')
    : !report.ok
      ? chalk.red(`failed with ${report.errors.length} error(s); the database is unchanged`)
      : report.dryRun
        ? chalk.green('dry run passed; nothing was written')
        : chalk.green(`loaded in ${report.seconds.toFixed(1)} s${report.createdTables.length ? ` (created ${report.createdTables.join(', ')})` : ''}`);
  console.log(verdict);
}

function progressPrinter(json: boolean): (event: { phase: string; table: string; rows: number }) => void {
  const started = Date.now();
  let tableStarted = Date.now();
  let current = '';
  return ({ phase, table, rows }) => {
    if (json) return;
    if (table !== current) {
      current = table;
      tableStarted = Date.now();
    }
    const rate = rows / Math.max((Date.now() - tableStarted) / 1000, 0.001);
    const text = `${phase.padEnd(8)} ${table.padEnd(12)} ${String(rows).padStart(9)} rows  ${Math.round(rate).toLocaleString('en-US')} rows/s  ${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K${phase === 'commit' ? '\n' : ''}`);
    else if (phase !== 'validate' || rows % 500_000 === 0) process.stderr.write(`${text}\n`);
  };
}

async function main(): Promise<number> {
  const argv = minimist(process.argv.slice(2), {
    string: ['env', 'outputs', 'host', 'port', 'user', 'database', 'ssl-mode', 'ca-bundle', 'tls-servername', 'tunnel-host', 'dir', 'file', 'max-errors', 'load-method', 'dms-secret-arn', 'password'],
    boolean: ['dry-run', 'prune', 'json', 'help'],
  });
  if (argv.help) {
    console.log(usage);
    return 0;
  }
  const mappings: string[] = ([] as string[]).concat(argv.file ?? []);
  const selection = selectInputFiles(CLINIC_TABLES, argv.dir ?? (mappings.length === 0 ? 'seed' : undefined), mappings);
  if (selection.errors.length > 0) throw new UsageError(selection.errors.join('\n'));
  const loadMethod = (argv['load-method'] ?? 'infile') as LoadMethod;
  if (!['infile', 'insert'].includes(loadMethod)) throw new UsageError(`--load-method ${loadMethod} is not infile or insert`);

  let secretsClient: SecretsManagerClient | undefined;
  const secrets = (region?: string): SecretsManagerClient => (secretsClient ??= new SecretsManagerClient(region ? { region } : {}));
  const { target, outputs } = await resolveTarget(argv, secrets, readTerraformOutputs);
  const connection = await mysql.createConnection(connectionOptions(target));
  try {
    const report = await loadClinicData({
      connection, database: target.database, tables: CLINIC_TABLES, files: selection.files,
      maxErrors: Number(argv['max-errors'] ?? 50), dryRun: argv['dry-run'], prune: argv.prune, loadMethod,
      onProgress: progressPrinter(argv.json),
    });
    let dms: DmsUserResult | undefined;
    if (report.ok && !report.dryRun && argv['dms-user'] !== undefined) {
      const secretArn = argv['dms-secret-arn'] ?? (outputs ? output(outputs, 'dms_secret_arn') : undefined);
      if (!secretArn) throw new UsageError('--dms-user needs --dms-secret-arn (or the dms_secret_arn output)');
      dms = await provisionDmsUser({
        connection, database: target.database, username: typeof argv['dms-user'] === 'string' && argv['dms-user'] ? argv['dms-user'] : undefined,
        endpoint: { host: target.tlsServername ?? target.host, port: outputs ? Number(output(outputs, 'rds_port')) : target.port },
        secretArn, secrets: secrets(),
      });
    }
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    if (argv.json) console.log(JSON.stringify({ ...report, ignored: selection.ignored, dmsUser: dms, peakRssMb }, null, 2));
    else {
      printReport(report, selection.ignored);
      if (dms) console.log(`DMS user ${dms.username} provisioned; its password is in ${dms.secretArn}`);
    }
    if (report.schemaDifferences.length > 0) return 2;
    return report.ok ? 0 : 1;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(chalk.red(error instanceof UsageError ? error.message : `seed failed, the database is unchanged: ${error.message}`));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
