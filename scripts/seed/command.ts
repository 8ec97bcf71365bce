import { Option } from '@commander-js/extra-typings';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CLINIC_TABLES } from '../../contract/clinic';
import { clientSettings } from '../aws/clients';
import { CommandResult, defineCommand } from '../cli/command';
import { InputError, UsageError, asCliError } from '../cli/errors';
import { existingDirectory, integer, repeated } from '../cli/options';
import { formatTable, left, right } from '../cli/output';
import { connectMysql } from '../mysql/connection';
import { addTargetOptions } from '../mysql/options';
import { resolveTarget } from '../mysql/target';
import { output, readTerraformOutputs } from '../terraform/outputs';
import { formatError } from './csv-validation';
import { DmsUserError, DmsUserResult, provisionDmsUser } from './dms-user';
import { selectInputFiles } from './input-files';
import { LoadReport, PARALLEL_MIN_BYTES, loadClinicData, undoText } from './loader';
import { migrationStep } from './migrate';

function reportText(report: LoadReport, ignored: readonly string[], dms: DmsUserResult | undefined, width: number | undefined): string {
  const lines: string[] = [];
  if (ignored.length > 0) lines.push(`ignored (not a contract table): ${ignored.join(', ')}`);
  for (const difference of report.schemaDifferences) lines.push(`schema: ${difference}`);
  for (const error of report.errors) lines.push(formatError(error));
  const columns = [left('table'), ...['read', 'inserted', 'updated', 'unchanged', 'rejected', 'pruned', 'seconds'].map(right)];
  const rows = report.tables.map((t) =>
    [t.table, t.read, t.inserted, t.updated, t.unchanged, t.rejected, t.pruned, t.seconds.toFixed(2)].map(String),
  );
  lines.push(formatTable(columns, rows, width));
  lines.push(
    report.schemaDifferences.length > 0
      ? 'refused: the database schema differs from the contract; nothing was written'
      : !report.ok
        ? `failed with ${report.errors.length} error(s); ${report.dryRun ? 'nothing was written' : undoText(report)}`
        : report.dryRun
          ? 'dry run passed; nothing was written'
          : `loaded in ${report.seconds.toFixed(1)} s${report.createdTables.length ? ` (created ${report.createdTables.join(', ')})` : ''}`,
  );
  if (dms) lines.push(`DMS user ${dms.username} provisioned; its password is in ${dms.secretArn}`);
  return lines.join('\n');
}

export const command = defineCommand({
  name: 'seed',
  description: "Validate the clinic's CSV exports against the contract and load them into MySQL in one transaction",
  options: (command) =>
    addTargetOptions(command)
      .addOption(new Option('--dir <dir>', 'folder of <table>.csv exports (default: the committed seed/)').argParser(existingDirectory))
      .addOption(new Option('--file <table=path>', 'the file of one table, for exports with other names (repeatable)').argParser(repeated))
      .addOption(new Option('--dry-run', 'validate and check keys, write nothing'))
      .addOption(
        new Option(
          '--migrate',
          'apply additive schema changes of the contract first (new tables, new nullable or defaulted columns, wider text)',
        ),
      )
      .addOption(new Option('--prune', 'delete rows that are missing from the files (default: leave them)'))
      .addOption(new Option('--max-errors <n>', 'stop after N errors').default(50).argParser(integer({ min: 1, max: 100_000 })))
      .addOption(
        new Option('--load-method <method>', 'infile: LOAD DATA LOCAL from the validated stream; insert: batched INSERTs')
          .choices(['infile', 'insert'] as const)
          .default('infile' as const),
      )
      .addOption(
        new Option(
          '--threads <n>',
          `threads that parse and validate while the server loads (default: one per core but one, at least one; none for inputs under ${PARALLEL_MIN_BYTES / 1024 / 1024} MiB)`,
        ).argParser(integer({ min: 0, max: 64 })),
      )
      .addOption(
        new Option(
          '--dms-user [name]',
          'also create or update the DMS reader (default name dms_reader) and store its password in the DMS secret',
        ),
      )
      .addOption(new Option('--dms-secret-arn <arn>', 'DMS source secret (default: the dms_secret_arn output)')),
  help: `
Any error leaves the database exactly as it was; re-running with the same files changes nothing.

Examples:
  npm run seed -- --env dev --ca-bundle global-bundle.pem
  npm run seed -- --env prod --tunnel-host 127.0.0.1 --port 13306 --ca-bundle global-bundle.pem
  MYSQL_PWD=... npm run seed -- --host db.local --user clinic --database unicornhealth --ssl-mode REQUIRED --dir exports/`,
  async run(options, { progress, width, env }): Promise<CommandResult> {
    const mappings = options.file ?? [];
    const selection = selectInputFiles(CLINIC_TABLES, options.dir ?? (mappings.length === 0 ? 'seed' : undefined), mappings);
    if (selection.errors.length > 0) throw new InputError(selection.errors.join('\n'));
    if (options.dmsUser !== undefined && options.dryRun)
      throw new UsageError('--dms-user changes credentials; it cannot run with --dry-run');

    let secretsClient: SecretsManagerClient | undefined;
    const secrets = (region?: string): SecretsManagerClient => (secretsClient ??= new SecretsManagerClient(clientSettings(region)));
    const { target, outputs } = await resolveTarget(
      options,
      secrets,
      () => readTerraformOutputs({ outputsFile: options.outputs, environment: options.env }),
      env,
    );
    const dmsSecretArn =
      options.dmsUser === undefined ? undefined : (options.dmsSecretArn ?? (outputs ? output(outputs, 'dms_secret_arn') : undefined));
    if (options.dmsUser !== undefined && !dmsSecretArn)
      throw new UsageError('--dms-user needs --dms-secret-arn (or the dms_secret_arn output)');

    const connection = await connectMysql(target);
    try {
      const ended = await migrationStep({
        connection,
        database: target.database,
        tables: CLINIC_TABLES,
        migrate: options.migrate ?? false,
        dryRun: options.dryRun ?? false,
        progress,
      });
      if (ended) return ended;
      let tableStarted = Date.now();
      let currentTable = '';
      const report = await loadClinicData({
        connection,
        database: target.database,
        tables: CLINIC_TABLES,
        files: selection.files,
        maxErrors: options.maxErrors,
        dryRun: options.dryRun ?? false,
        prune: options.prune ?? false,
        loadMethod: options.loadMethod,
        threads: options.threads,
        onProgress: ({ phase, table, rows }) => {
          if (table !== currentTable) [currentTable, tableStarted] = [table, Date.now()];
          const rate = Math.round(rows / Math.max((Date.now() - tableStarted) / 1000, 0.001));
          progress.update(`${phase} ${table}`, { rows, 'rows/s': rate });
        },
      });
      let dms: DmsUserResult | undefined;
      let dmsFailure: DmsUserError | undefined;
      if (report.ok && !report.dryRun && options.dmsUser !== undefined && dmsSecretArn) {
        progress.update('provisioning the DMS reader');
        try {
          dms = await provisionDmsUser({
            connection,
            database: target.database,
            username: typeof options.dmsUser === 'string' ? options.dmsUser : undefined,
            endpoint: { host: target.tlsServername ?? target.host, port: outputs ? Number(output(outputs, 'rds_port')) : target.port },
            secretArn: dmsSecretArn,
            secrets: secrets(),
            // The DMS user must log in the way DMS will: same server, TLS settings and port forward as this run.
            verifyLogin: async (user, password) => (await connectMysql({ ...target, user, password })).end(),
          });
        } catch (error) {
          // The load is committed by now; the rotation's own message says what it changed and restored.
          if (!(error instanceof DmsUserError)) throw error;
          dmsFailure = error;
        }
      }
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      const { user, system } = process.cpuUsage();
      const text = reportText(report, selection.ignored, dms, width);
      return {
        ok: report.ok && !dmsFailure,
        exitCode: dmsFailure ? asCliError(dmsFailure).exitCode : undefined,
        json: {
          ...report,
          ignored: selection.ignored,
          dmsUser: dms,
          ...(dmsFailure ? { dmsUserError: dmsFailure.message } : {}),
          peakRssMb,
          cpuSeconds: Math.round((user + system) / 1e5) / 10,
        },
        text: dmsFailure ? `${text}\nthe data load was committed; ${dmsFailure.message}` : text,
      };
    } finally {
      await connection.end().catch(() => undefined);
    }
  },
});
