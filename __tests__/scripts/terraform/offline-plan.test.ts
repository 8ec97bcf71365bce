/** @needs terraform: plans the synthesized stacks offline against the provider mirror (npm run test:unit leaves this suite out). */
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { POLICY_SUPPRESSIONS } from '../../../config/policy-suppressions';
import { evaluateStack } from '../../../scripts/policy/evaluate';
import { modelFromPlan, modelFromSynth } from '../../../scripts/policy/model';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accounts } from '../../../config/accounts';
import { environments } from '../../../config/environments';
import { MigrationCapacity } from '../../../config/types';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { baselineStackName } from '../../../stacks/baseline-stack';
import { buildApp } from '../../../stacks/app';
import { stackName } from '../../../stacks/platform-stack';
import { PROVIDER_LOCK_FILE } from '../../../stacks/core/provider-lock';
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

  /** What runs the replication: a DMS Serverless configuration, or an instance with its task and event subscription. */
  const dmsTypesOf = (kind: MigrationCapacity['kind']): string[] =>
    kind === 'serverless'
      ? ['aws_dms_replication_config']
      : ['aws_dms_replication_instance', 'aws_dms_replication_task', 'aws_dms_event_subscription'];

  test.each(environments.map((e) => [stackName(e), e.migration.capacity.kind] as const))(
    '%s: the plan only creates, and holds every expected resource type (DMS %s)',
    (stack, dmsCapacity) => {
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
        ...dmsTypesOf(dmsCapacity),
        'aws_dms_endpoint',
        'aws_dms_s3_endpoint',
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
    },
  );

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
        aws_glue_catalog_table: 2 * CLINIC_TABLES.length,
        aws_sfn_state_machine: 2,
        aws_scheduler_schedule: 2,
        aws_athena_workgroup: 2,
        aws_lakeformation_resource: 2,
      });
    },
  );

  describe('terraform init is read-only against the committed provider lock file', () => {
    const stack = baselines[0];
    /** A copy of one synthesized stack whose lock file is edited (or removed), in a folder of its own. */
    const stacksWithLock = (edit: (lock: string) => string | undefined): string => {
      const stacksDir = mkdtempSync(join(tmpdir(), 'lock-file-'));
      cpSync(join(outdir, 'stacks', stack), join(stacksDir, stack), { recursive: true });
      const lockFile = join(stacksDir, stack, PROVIDER_LOCK_FILE);
      const edited = edit(readFileSync(lockFile, 'utf8'));
      if (edited === undefined) rmSync(lockFile);
      else writeFileSync(lockFile, edited);
      return stacksDir;
    };

    test('a provider package whose hash the lock file does not record is refused', async () => {
      const stacksDir = stacksWithLock((lock) => lock.replace(/"h1:[^"]+"/, '"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="'));
      try {
        await expect(planOffline({ stacksDir, stacks: [stack] })).rejects.toThrow(
          /terraform init failed[\s\S]*doesn't match any of the\s+checksums previously recorded in the dependency lock file/,
        );
      } finally {
        rmSync(stacksDir, { recursive: true, force: true });
      }
    });

    test('a lock file of another provider version is refused, not upgraded', async () => {
      const stacksDir = stacksWithLock((lock) => lock.replaceAll(`"${AWS_PROVIDER.version}"`, '"5.99.0"'));
      try {
        await expect(planOffline({ stacksDir, stacks: [stack] })).rejects.toThrow(
          /locked provider registry.terraform.io\/hashicorp\/aws 5.99.0 does not match\s+configured version constraint 5.100.0/,
        );
      } finally {
        rmSync(stacksDir, { recursive: true, force: true });
      }
    });

    test('a stack folder without the lock file is a setup error saying to synthesize again', async () => {
      const stacksDir = stacksWithLock(() => undefined);
      try {
        await expect(planOffline({ stacksDir, stacks: [stack] })).rejects.toThrow(OfflinePlanSetupError);
        await expect(planOffline({ stacksDir, stacks: [stack] })).rejects.toThrow(/has no \.terraform\.lock\.hcl; synthesize again/);
      } finally {
        rmSync(stacksDir, { recursive: true, force: true });
      }
    });
  });

  test('the prod plan includes the Session Manager access host', () => {
    const prod = results.find((r) => r.stack === 'unicornhealth-prod')!;
    expect(prod.resourceTypes).toMatchObject({ aws_instance: 1, aws_launch_template: 1 });
  });
});
