import { Option } from '@commander-js/extra-typings';
import { AthenaClient } from '@aws-sdk/client-athena';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { GlueClient } from '@aws-sdk/client-glue';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CLINIC_TABLES } from '../../contract/clinic';
import { ReaderPersona } from '../../contract/lake';
import { EXTERNAL_SCHEMA, externalSchemaSql } from '../../contract/warehouse';
import { clientSettings } from '../aws/clients';
import { defineCommand } from '../cli/command';
import { EnvironmentError } from '../cli/errors';
import { integer, listOf } from '../cli/options';
import { connectMysql } from '../mysql/connection';
import { addTargetOptions } from '../mysql/options';
import { resolveTarget } from '../mysql/target';
import { Outputs, output, readTerraformOutputs } from '../terraform/outputs';
import { AthenaEngine, MysqlEngine, RedshiftDataEngine } from './engines';
import { formatSmokeReport, smokeVerdict } from './report';
import { LakeReader, STEPS, runSmoke } from './steps';
import { Deadline, realClock } from './waiting';

/** Names the run needs, each from a flag or else the Terraform output of the same meaning. */
const NAMES = {
  region: 'region',
  glueDatabase: 'glue_database_name',
  workgroup: 'athena_workgroup',
  redshiftWorkgroup: 'redshift_workgroup',
  redshiftDatabase: 'redshift_database',
  redshiftRoleArn: 'redshift_role_arn',
  analystRoleArn: 'analyst_role_arn',
  smokeRunnerRoleArn: 'smoke_runner_role_arn',
  taskArn: 'dms_task_arn',
  crawler: 'glue_crawler_name',
} as const;

export const command = defineCommand({
  name: 'smoke',
  description: "After a release: run DMS and the crawler, and prove the clinic's data arrived intact and governed in Athena and Redshift",
  options: (command) =>
    addTargetOptions(command)
      .addOption(new Option('--only <steps>', `run only these steps (comma-separated: ${STEPS.join(', ')})`).argParser(listOf(STEPS)))
      .addOption(new Option('--skip <steps>', 'skip these steps (comma-separated)').argParser(listOf(STEPS)))
      .addOption(new Option('--timeout <seconds>', 'bound on the whole run').default(3600).argParser(integer({ min: 10, max: 24 * 3600 })))
      .addOption(new Option('--concurrency <n>', 'reconciliation queries at once').default(4).argParser(integer({ min: 1, max: 32 })))
      .addOption(new Option('--verbose', 'list every check, not only the failures'))
      .addOption(new Option('--region <region>', 'AWS region (default: the region output)'))
      .addOption(new Option('--task-arn <arn>', 'DMS task (default: the dms_task_arn output)'))
      .addOption(new Option('--crawler <name>', 'Glue crawler (default: the glue_crawler_name output)'))
      .addOption(new Option('--glue-database <name>', 'Glue database (default: the glue_database_name output)'))
      .addOption(new Option('--workgroup <name>', 'Athena workgroup (default: the athena_workgroup output)'))
      .addOption(new Option('--redshift-workgroup <name>', 'Redshift Serverless workgroup (default: the redshift_workgroup output)'))
      .addOption(new Option('--redshift-database <name>', 'Redshift database (default: the redshift_database output)'))
      .addOption(new Option('--redshift-role-arn <arn>', "Redshift's Spectrum role (default: the redshift_role_arn output)"))
      .addOption(
        new Option('--analyst-role-arn <arn>', 'analyst role assumed for the governance checks (default: the analyst_role_arn output)'),
      )
      .addOption(
        new Option(
          '--smoke-runner-role-arn <arn>',
          'role assumed to reconcile every column in Athena (default: the smoke_runner_role_arn output)',
        ),
      ),
  help: `
Steps, in order: ${STEPS.join(', ')}. Every name comes from the Terraform outputs of --env (or --outputs FILE); the
flags above override them. The source database is reached as npm run seed reaches it.`,
  async run(options, { progress, width, env }) {
    const steps = STEPS.filter((s) => (!options.only || options.only.includes(s)) && !(options.skip ?? []).includes(s));
    const outputs: Outputs = await readTerraformOutputs({ outputsFile: options.outputs, environment: options.env });
    // Every name is resolved before anything connects, so a missing output fails at once.
    const names = Object.fromEntries(
      Object.entries(NAMES).map(([flag, outputName]) => [flag, (options as Record<string, unknown>)[flag] ?? output(outputs, outputName)]),
    ) as Record<keyof typeof NAMES, string>;
    const region = names.region;
    const clock = realClock;
    const deadline = Deadline.in(clock, options.timeout * 1000);

    const secrets = new SecretsManagerClient(clientSettings(region));
    const { target } = await resolveTarget(
      options,
      () => secrets,
      () => Promise.resolve(outputs),
      env,
    );
    progress.update('connecting to the source database');
    const connection = await connectMysql(target);
    try {
      const redshift = new RedshiftDataEngine(new RedshiftDataClient(clientSettings(region)), {
        clock,
        workgroup: names.redshiftWorkgroup,
        database: names.redshiftDatabase,
        externalSchema: EXTERNAL_SCHEMA,
      });
      // Athena as each persona, with that persona's role: Lake Formation then decides what each one sees.
      const sts = new STSClient(clientSettings(region));
      const athenaAs = async (persona: ReaderPersona, roleArn: string): Promise<AthenaEngine> => {
        progress.update(`assuming the ${persona} role`);
        const { Credentials } = await sts.send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `unicornhealth-smoke-${persona}`, DurationSeconds: 3600 }),
        );
        if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey)
          throw new EnvironmentError(`STS returned no credentials for ${roleArn}`);
        const credentials = {
          accessKeyId: Credentials.AccessKeyId,
          secretAccessKey: Credentials.SecretAccessKey,
          sessionToken: Credentials.SessionToken,
        };
        return new AthenaEngine(new AthenaClient(clientSettings(region, credentials)), {
          clock,
          workgroup: names.workgroup,
          database: names.glueDatabase,
        });
      };
      const readers: LakeReader[] = [
        { persona: 'smoke-runner', engine: await athenaAs('smoke-runner', names.smokeRunnerRoleArn) },
        { persona: 'analyst', engine: await athenaAs('analyst', names.analystRoleArn) },
        { persona: 'redshift', engine: redshift },
      ];
      const result = await runSmoke(
        {
          tables: CLINIC_TABLES,
          clock,
          deadline,
          names: {
            dmsTaskArn: names.taskArn,
            crawlerName: names.crawler,
            glueDatabase: names.glueDatabase,
            externalSchemaSql: externalSchemaSql({ glueDatabase: names.glueDatabase, roleArn: names.redshiftRoleArn, region }),
          },
          source: new MysqlEngine(connection),
          readers,
          executeOnWarehouse: (sql, d) => redshift.execute(sql, d),
          dms: new DatabaseMigrationServiceClient(clientSettings(region)),
          glue: new GlueClient(clientSettings(region)),
          concurrency: options.concurrency,
          onStep: (step) => progress.update(`smoke: ${step}`),
        },
        steps,
      );
      return {
        ok: result.ok,
        json: { ...result },
        text: `${formatSmokeReport(result, { verbose: options.verbose, width })}\n${smokeVerdict(result, 'smoke')}`,
      };
    } finally {
      await connection.end().catch(() => undefined);
    }
  },
});
