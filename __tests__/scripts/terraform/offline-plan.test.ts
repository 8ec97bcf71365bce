/** @needs terraform: plans the synthesized stacks offline against the provider mirror (npm run test:unit leaves this suite out). */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { POLICY_SUPPRESSIONS } from '../../../config/policy-suppressions';
import { evaluateStack } from '../../../scripts/policy/evaluate';
import { modelFromPlan, modelFromSynth } from '../../../scripts/policy/model';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accounts } from '../../../config/accounts';
import { environments } from '../../../config/environments';
import { baselineStackName } from '../../../stacks/baseline-stack';
import { buildApp } from '../../../stacks/app';
import { stackName } from '../../../stacks/platform-stack';
import {
  AWS_PROVIDER,
  OfflinePlanSetupError,
  StackPlanResult,
  cliConfigFor,
  findProviderMirror,
  planOffline,
  terraformVersion,
} from '../../../scripts/terraform/offline-plan';

describe('provider mirror discovery', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mirror-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('TF_PROVIDER_MIRROR wins when it holds the provider', () => {
    const mirror = join(scratch, 'good');
    mkdirSync(join(mirror, 'registry.terraform.io', 'hashicorp', 'aws', AWS_PROVIDER.version, 'linux_amd64'), { recursive: true });
    expect(findProviderMirror({ TF_PROVIDER_MIRROR: mirror })).toBe(mirror);
  });

  test('a TF_PROVIDER_MIRROR without the provider fails with the command that fills it', () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    expect(() => findProviderMirror({ TF_PROVIDER_MIRROR: empty })).toThrow(OfflinePlanSetupError);
    expect(() => findProviderMirror({ TF_PROVIDER_MIRROR: empty })).toThrow(/terraform providers mirror -platform=linux_amd64/);
  });

  test('a mirror named in the current TF_CLI_CONFIG_FILE is used', () => {
    const mirror = join(scratch, 'from-cli-config');
    mkdirSync(join(mirror, 'registry.terraform.io', 'hashicorp', 'aws', AWS_PROVIDER.version), { recursive: true });
    const rc = join(scratch, 'terraform.rc');
    writeFileSync(rc, cliConfigFor(mirror));
    expect(findProviderMirror({ TF_CLI_CONFIG_FILE: rc })).toBe(mirror);
  });

  test('a missing terraform CLI fails with how to install it', async () => {
    await expect(terraformVersion({ ...process.env, PATH: scratch })).rejects.toThrow(OfflinePlanSetupError);
    await expect(terraformVersion({ ...process.env, PATH: scratch })).rejects.toThrow(/Install Terraform >= 1.10/);
  });

  test('the generated CLI config installs from the mirror only, never directly from the registry', () => {
    const text = cliConfigFor('/some/mirror');
    expect(text).toContain('filesystem_mirror');
    expect(text).toContain('path    = "/some/mirror"');
    expect(text).not.toContain('direct');
  });
});

describe('offline terraform init, validate and plan of every stack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'unicornhealth-synth-'));
  let results: StackPlanResult[];

  beforeAll(async () => {
    buildApp(environments, outdir).synth();
    results = await planOffline({ stacksDir: join(outdir, 'stacks') });
  }, 300_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const baselines = accounts.map(baselineStackName);
  const everyStack = [...baselines, ...environments.map(stackName)];

  test('every account baseline and every environment plans', () => {
    expect(results.map((r) => r.stack).sort()).toEqual([...everyStack].sort());
  });

  test.each(baselines)('%s: the plan only creates the account-wide singletons', (stack) => {
    const result = results.find((r) => r.stack === stack)!;
    for (const change of result.resourceChanges) expect(change.actions).toEqual(['create']);
    for (const type of [
      'aws_lakeformation_data_lake_settings',
      'aws_glue_data_catalog_encryption_settings',
      'aws_iam_group',
      'aws_iam_group_policy',
      'aws_iam_role',
      'aws_kms_key',
    ]) {
      expect(result.resourceTypes).toHaveProperty(type);
    }
    expect(result.resourceTypes).not.toHaveProperty('aws_vpc');
  });

  test.each(environments.map((e) => stackName(e)))('%s: the plan only creates, and holds every expected resource type', (stack) => {
    const result = results.find((r) => r.stack === stack)!;
    expect(result.resourceChanges.length).toBeGreaterThan(40);
    for (const change of result.resourceChanges) expect(change.actions).toEqual(['create']);
    for (const type of [
      'aws_vpc',
      'aws_subnet',
      'aws_vpc_endpoint',
      'aws_default_security_group',
      'aws_flow_log',
      'aws_cloudwatch_log_group',
      'aws_kms_key',
      'aws_kms_alias',
      'aws_s3_bucket',
      'aws_s3_bucket_policy',
      'aws_s3_bucket_public_access_block',
      'aws_s3_bucket_server_side_encryption_configuration',
      'aws_s3_bucket_lifecycle_configuration',
      'aws_s3_bucket_logging',
      'aws_db_instance',
      'aws_db_parameter_group',
      'aws_db_option_group',
      'aws_db_subnet_group',
      'aws_security_group',
      'aws_dms_replication_subnet_group',
      'aws_dms_replication_instance',
      'aws_dms_endpoint',
      'aws_dms_s3_endpoint',
      'aws_dms_replication_task',
      'aws_dms_event_subscription',
      'aws_secretsmanager_secret',
      'aws_glue_catalog_database',
      'aws_glue_catalog_table',
      'aws_glue_crawler',
      'aws_glue_security_configuration',
      'aws_athena_workgroup',
      'aws_lakeformation_resource',
      'aws_lakeformation_permissions',
      'aws_redshiftserverless_namespace',
      'aws_redshiftserverless_workgroup',
      'aws_redshiftserverless_usage_limit',
      'aws_sns_topic',
      'aws_cloudwatch_event_rule',
      'aws_budgets_budget',
      // The merge of the change log into the current state, its schedules and its alarms.
      'aws_sfn_state_machine',
      'aws_scheduler_schedule',
      'aws_cloudwatch_metric_alarm',
    ]) {
      expect(result.resourceTypes).toHaveProperty(type);
    }
  });

  test.each(everyStack)('%s: the policy checks pass on the plan JSON as on the synthesized stack', (stack) => {
    const result = results.find((r) => r.stack === stack)!;
    const fromPlan = evaluateStack(modelFromPlan(stack, result.planJson), POLICY_SUPPRESSIONS);
    const fromSynth = evaluateStack(
      modelFromSynth(stack, JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'))),
      POLICY_SUPPRESSIONS,
    );
    expect(fromPlan.findings.filter((f) => !f.pass && !f.suppressed)).toEqual([]);
    expect(fromPlan.findings.length).toBe(fromSynth.findings.length);
  });

  test.each(environments.map((e) => stackName(e)))(
    '%s: the plan creates two databases, a change-log and an Iceberg table per contract table, two state machines, two schedules',
    (stack) => {
      const result = results.find((r) => r.stack === stack)!;
      expect(result.resourceTypes).toMatchObject({
        aws_glue_catalog_database: 2,
        aws_glue_catalog_table: 12,
        aws_sfn_state_machine: 2,
        aws_scheduler_schedule: 2,
        aws_athena_workgroup: 2,
        aws_lakeformation_resource: 2,
      });
    },
  );

  test('the prod plan includes the Session Manager access host', () => {
    const prod = results.find((r) => r.stack === 'unicornhealth-prod')!;
    expect(prod.resourceTypes).toMatchObject({ aws_instance: 1, aws_launch_template: 1 });
  });
});
