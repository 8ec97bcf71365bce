import { chalk, minimist } from 'zx';
import mysql from 'mysql2/promise';
import { AthenaClient } from '@aws-sdk/client-athena';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { GlueClient } from '@aws-sdk/client-glue';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CLINIC_TABLES } from '../../contract/clinic';
import { EXTERNAL_SCHEMA, externalSchemaSql } from '../../contract/warehouse';
import { connectionOptions } from '../mysql/connection';
import { UsageError, output, readTerraformOutputs, resolveTarget } from '../mysql/target';
import { AthenaEngine, MysqlEngine, RedshiftDataEngine } from './engines';
import { STEPS, StepName, formatChecks, runSmoke } from './steps';
import { Deadline, realClock } from './waiting';

const usage = `Usage: npm run smoke -- [--env NAME] [options]

After a release: runs the DMS task, the crawler and the reconciliation, and proves the clinic's data arrived
intact and governed in Athena and Redshift. Every name comes from the Terraform outputs; flags override them.

Steps (in order): ${STEPS.join(', ')}
  --only a,b              run only these steps
  --skip a,b              skip these steps
  --timeout SECONDS       bound on the whole run (default 3600)
  --concurrency N         reconciliation queries at once (default 4)
  --json                  print the checks as JSON

Names (default: Terraform outputs of --env, or --outputs FILE from terraform output -json):
  --env NAME  --outputs FILE  --region R
  --task-arn ARN  --crawler NAME  --glue-database NAME  --workgroup NAME
  --redshift-workgroup NAME  --redshift-database NAME  --redshift-role-arn ARN  --analyst-role-arn ARN

Source database (as npm run seed): --ca-bundle FILE, --tunnel-host H --port P, --tls-servername NAME,
  or --host/--user/--database with MYSQL_PWD.

Exit status: 0 when every check passes, 1 when any fails, 2 on a usage error.`;

function chosenSteps(argv: minimist.ParsedArgs): StepName[] {
  const list = (flag: string): string[] =>
    argv[flag]
      ? String(argv[flag])
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  for (const step of [...list('only'), ...list('skip')]) {
    if (!(STEPS as readonly string[]).includes(step)) throw new UsageError(`unknown step "${step}" (steps: ${STEPS.join(', ')})`);
  }
  const only = list('only');
  const skip = list('skip');
  return STEPS.filter((s) => (only.length === 0 || only.includes(s)) && !skip.includes(s));
}

async function main(): Promise<number> {
  const argv = minimist(process.argv.slice(2), {
    string: [
      'env',
      'outputs',
      'region',
      'only',
      'skip',
      'timeout',
      'concurrency',
      'task-arn',
      'crawler',
      'glue-database',
      'workgroup',
      'redshift-workgroup',
      'redshift-database',
      'redshift-role-arn',
      'analyst-role-arn',
      'host',
      'port',
      'user',
      'database',
      'ssl-mode',
      'ca-bundle',
      'tls-servername',
      'tunnel-host',
      'password',
    ],
    boolean: ['json', 'help'],
  });
  if (argv.help) {
    console.log(usage);
    return 0;
  }
  const steps = chosenSteps(argv);
  const outputs = await readTerraformOutputs(argv);
  const name = (flag: string, outputName: string): string => argv[flag] ?? output(outputs, outputName);
  const region = name('region', 'region');
  const clock = realClock;
  const deadline = Deadline.in(clock, Number(argv.timeout ?? 3600) * 1000);

  // Every name is resolved before anything connects, so a missing output fails at once.
  const names = {
    glueDatabase: name('glue-database', 'glue_database_name'),
    workgroup: name('workgroup', 'athena_workgroup'),
    redshiftWorkgroup: name('redshift-workgroup', 'redshift_workgroup'),
    redshiftDatabase: name('redshift-database', 'redshift_database'),
    redshiftRoleArn: name('redshift-role-arn', 'redshift_role_arn'),
    analystRoleArn: name('analyst-role-arn', 'analyst_role_arn'),
    dmsTaskArn: name('task-arn', 'dms_task_arn'),
    crawlerName: name('crawler', 'glue_crawler_name'),
  };
  const glueDatabase = names.glueDatabase;

  const secrets = new SecretsManagerClient({ region });
  const { target } = await resolveTarget(
    argv,
    () => secrets,
    async () => outputs,
  );
  const connection = await mysql.createConnection(connectionOptions(target));
  try {
    const athena = new AthenaEngine(new AthenaClient({ region }), { clock, workgroup: names.workgroup, database: glueDatabase });
    const redshift = new RedshiftDataEngine(new RedshiftDataClient({ region }), {
      clock,
      workgroup: names.redshiftWorkgroup,
      database: names.redshiftDatabase,
      externalSchema: EXTERNAL_SCHEMA,
    });
    const { Credentials } = await new STSClient({ region }).send(
      new AssumeRoleCommand({ RoleArn: names.analystRoleArn, RoleSessionName: 'unicornhealth-smoke', DurationSeconds: 3600 }),
    );
    const analystAthena = new AthenaEngine(
      new AthenaClient({
        region,
        credentials: {
          accessKeyId: Credentials!.AccessKeyId!,
          secretAccessKey: Credentials!.SecretAccessKey!,
          sessionToken: Credentials!.SessionToken,
        },
      }),
      { clock, workgroup: names.workgroup, database: glueDatabase },
    );
    const result = await runSmoke(
      {
        tables: CLINIC_TABLES,
        clock,
        deadline,
        names: {
          dmsTaskArn: names.dmsTaskArn,
          crawlerName: names.crawlerName,
          glueDatabase,
          externalSchemaSql: externalSchemaSql({ glueDatabase, roleArn: names.redshiftRoleArn, region }),
        },
        source: new MysqlEngine(connection),
        lakeEngines: [athena, redshift],
        governedEngines: [analystAthena, redshift],
        executeOnWarehouse: (sql, d) => redshift.execute(sql, d),
        dms: new DatabaseMigrationServiceClient({ region }),
        glue: new GlueClient({ region }),
        concurrency: Number(argv.concurrency ?? 4),
      },
      steps,
    );
    if (argv.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(formatChecks(result.checks));
      const failedCount = result.checks.filter((c) => !c.pass).length;
      console.log(
        result.ok
          ? chalk.green(`all ${result.checks.length} checks passed in ${result.seconds.toFixed(1)} s`)
          : chalk.red(
              `${failedCount} of ${result.checks.length} checks failed${result.stopped ? `; stopped at ${result.stopped.step}: ${result.stopped.reason}` : ''}`,
            ),
      );
    }
    return result.ok ? 0 : 1;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(chalk.red(error.message));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
