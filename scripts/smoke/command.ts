import { Option } from '@commander-js/extra-typings';
import { AthenaClient } from '@aws-sdk/client-athena';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DatabaseMigrationServiceClient } from '@aws-sdk/client-database-migration-service';
import { GlueClient } from '@aws-sdk/client-glue';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { environments } from '../../config/environments';
import { DEFAULT_FRESHNESS_TARGET_MINUTES } from '../../config/types';
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
import { Outputs, output, outputMap, readTerraformOutputs } from '../terraform/outputs';
import { AthenaEngine, MysqlEngine, RedshiftDataEngine } from './engines';
import { formatSmokeReport, smokeVerdict } from './report';
import { LakeReader, STEPS, runSmoke } from './steps';
import { Deadline, realClock } from './waiting';

/** Names the run needs, each from a flag or else the Terraform output of the same meaning. */
const NAMES = {
  region: 'region',
  glueDatabase: 'glue_database_name',
  changesDatabase: 'glue_changes_database_name',
  mergeStateMachineArn: 'merge_state_machine_arn',
  workgroup: 'athena_workgroup',
  redshiftWorkgroup: 'redshift_workgroup',
  redshiftDatabase: 'redshift_database',
  redshiftRoleArn: 'redshift_role_arn',
  analystRoleArn: 'analyst_role_arn',
  smokeRunnerRoleArn: 'smoke_runner_role_arn',
} as const;

/**
 * The DMS replication of the environment: its serverless replication configuration when it has one (the output is
 * empty with a replication instance), else its task.
 */
function dmsReplicationArn(outputs: Outputs): string {
  return outputs.dms_replication_config_arn?.value ? output(outputs, 'dms_replication_config_arn') : output(outputs, 'dms_task_arn');
}

/** The crawler of each change-log table, by table: a map output. */
const CRAWLER_NAMES_OUTPUT = 'glue_crawler_names';

export const command = defineCommand({
  name: 'smoke',
  description:
    "After a release: run DMS, the merge and the crawlers, and prove the clinic's data arrived intact, fresh and governed in Athena and Redshift",
  options: (command) =>
    addTargetOptions(command)
      .addOption(new Option('--only <steps>', `run only these steps (comma-separated: ${STEPS.join(', ')})`).argParser(listOf(STEPS)))
      .addOption(new Option('--skip <steps>', 'skip these steps (comma-separated)').argParser(listOf(STEPS)))
      .addOption(new Option('--timeout <seconds>', 'bound on the whole run').default(3600).argParser(integer({ min: 10, max: 24 * 3600 })))
      .addOption(new Option('--concurrency <n>', 'reconciliation queries at once').default(4).argParser(integer({ min: 1, max: 32 })))
      .addOption(new Option('--verbose', 'list every check, not only the failures'))
      .addOption(new Option('--region <region>', 'AWS region (default: the region output)'))
      .addOption(
        new Option(
          '--task-arn <arn>',
          'DMS task or serverless replication config (default: the dms_replication_config_arn output, else dms_task_arn)',
        ),
      )
      .addOption(
        new Option(
          '--crawlers <names>',
          'Glue crawlers, comma-separated (default: every crawler of the glue_crawler_names output)',
        ).argParser((value) => value.split(',').filter(Boolean)),
      )
      .addOption(new Option('--glue-database <name>', 'Glue database of the current tables (default: the glue_database_name output)'))
      .addOption(
        new Option('--changes-database <name>', 'Glue database of the change log (default: the glue_changes_database_name output)'),
      )
      .addOption(new Option('--merge-state-machine-arn <arn>', 'the merge state machine (default: the merge_state_machine_arn output)'))
      .addOption(
        new Option(
          '--freshness-target <minutes>',
          `how soon the probe row must be queryable (default: lake.merge.freshnessTargetMinutes of --env, else ${DEFAULT_FRESHNESS_TARGET_MINUTES})`,
        ).argParser(integer({ min: 1, max: 24 * 60 })),
      )
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
flags above override them. The source database is reached as npm run seed reaches it; the probe step writes one row
into its ${'`'}smoke_probe${'`'} table.`,
  async run(options, { progress, width, env }) {
    const steps = STEPS.filter((s) => (!options.only || options.only.includes(s)) && !(options.skip ?? []).includes(s));
    const outputs: Outputs = await readTerraformOutputs({ outputsFile: options.outputs, environment: options.env });
    // Every name is resolved before anything connects, so a missing output fails at once.
    const names = Object.fromEntries(
      Object.entries(NAMES).map(([flag, outputName]) => [flag, (options as Record<string, unknown>)[flag] ?? output(outputs, outputName)]),
    ) as Record<keyof typeof NAMES, string>;
    const dmsArn = options.taskArn ?? dmsReplicationArn(outputs);
    const crawlerNames = options.crawlers
      ? Object.fromEntries(options.crawlers.map((name) => [name, name]))
      : outputMap(outputs, CRAWLER_NAMES_OUTPUT);
    const freshnessTargetMinutes =
      options.freshnessTarget ??
      environments.find((e) => e.name === options.env)?.lake.merge.freshnessTargetMinutes ??
      DEFAULT_FRESHNESS_TARGET_MINUTES;
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
    // A port forward that closes (an EC2 Instance Connect tunnel lasts an hour) errors the idle connection; without a
    // listener that error would end the process in the middle of a long wait.
    connection.on('error', (error: Error) => progress.update(`the source connection closed: ${error.message}`));
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
            dmsTaskArn: dmsArn,
            crawlerNames,
            mergeStateMachineArn: names.mergeStateMachineArn,
            glueDatabase: names.glueDatabase,
            changeLogDatabase: names.changesDatabase,
            externalSchemaSql: externalSchemaSql({ glueDatabase: names.glueDatabase, roleArn: names.redshiftRoleArn, region }),
          },
          source: new MysqlEngine(connection),
          releaseSource: () => connection.end().catch(() => undefined),
          readers,
          executeOnWarehouse: (sql, d) => redshift.execute(sql, d),
          dms: new DatabaseMigrationServiceClient(clientSettings(region)),
          glue: new GlueClient(clientSettings(region)),
          sfn: new SFNClient(clientSettings(region)),
          waits: { freshness: freshnessTargetMinutes * 60_000 },
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
