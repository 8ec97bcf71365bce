import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { accounts, nonprodAccount } from '../../config/accounts';
import { defineEnvironment, dev, prod } from '../../config/environments';
import { platformProblems } from '../../config/validate';
import { ACCOUNT_SINGLETON_TYPES } from '../../scripts/policy/rules';
import { buildApp } from '../../stacks/app';
import { AccountBaselineStack } from '../../stacks/baseline-stack';
import { Json } from '../helpers/synth';

/** Types whose name is unique only within a parent (a role, a group, a VPC, a database), not in the account. */
const NAMED_WITHIN_A_PARENT = ['aws_iam_role_policy', 'aws_iam_group_policy', 'aws_security_group', 'aws_glue_catalog_table'];
/** The attribute that names a resource in its account and region, where it is not `name`. */
const NAME_ATTRIBUTE: Readonly<Record<string, string>> = {
  aws_s3_bucket: 'bucket',
  aws_db_instance: 'identifier',
  aws_dms_replication_instance: 'replication_instance_id',
  aws_dms_replication_subnet_group: 'replication_subnet_group_id',
  aws_dms_endpoint: 'endpoint_id',
  aws_dms_s3_endpoint: 'endpoint_id',
  aws_dms_replication_task: 'replication_task_id',
  aws_redshiftserverless_namespace: 'namespace_name',
  aws_redshiftserverless_workgroup: 'workgroup_name',
};

/**
 * What AWS would take for one object in the account and region, for each resource of a synthesized stack: the type
 * of a singleton, or the type and the literal name of a named resource. Names made of references are the stack's
 * own and skipped.
 */
function accountIdentities(json: Json): string[] {
  return Object.entries<Json>(json.resource ?? {}).flatMap(([type, byName]) =>
    Object.values<Json>(byName).flatMap((values) => {
      if (ACCOUNT_SINGLETON_TYPES.includes(type)) return [type];
      if (NAMED_WITHIN_A_PARENT.includes(type)) return [];
      const name = values[NAME_ATTRIBUTE[type] ?? 'name'];
      return typeof name === 'string' && !name.includes('${') ? [`${type} ${name}`] : [];
    }),
  );
}

/** Identities held more than once across stacks. */
function heldTwice(stacks: readonly Json[]): string[] {
  const all = stacks.flatMap(accountIdentities);
  return [...new Set(all.filter((identity, index) => all.indexOf(identity) !== index))].sort();
}

describe('a second environment in one account: staging beside dev', () => {
  const staging = defineEnvironment('staging', nonprodAccount, {
    network: { ...dev.network, vpcCidr: '10.21.0.0/16' },
    database: dev.database,
    storage: dev.storage,
    logRetentionDays: dev.logRetentionDays,
    migration: dev.migration,
    analytics: dev.analytics,
    lake: dev.lake,
    warehouse: dev.warehouse,
    monthlyBudgetUsd: dev.monthlyBudgetUsd,
    usage: dev.usage,
  });
  const environments = [dev, staging, prod];
  const outdir = mkdtempSync(join(tmpdir(), 'unicornhealth-staging-'));
  buildApp(environments, outdir).synth();
  const stacksDir = join(outdir, 'stacks');
  const stacks = new Map(
    readdirSync(stacksDir).map((stack) => [stack, JSON.parse(readFileSync(join(stacksDir, stack, 'cdk.tf.json'), 'utf8'))]),
  );
  const accountOf = (json: Json): string => json.provider.aws[0].allowed_account_ids[0];
  const nonprodStacks = [...stacks.values()].filter((json) => accountOf(json) === nonprodAccount.id);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  test('the platform with staging is valid: its own VPC range, the account’s state bucket under its own key', () => {
    expect(platformProblems({ accounts, environments })).toEqual([]);
    expect(stacks.get('unicornhealth-staging').terraform.backend.s3).toMatchObject({
      bucket: dev.stateBackend!.bucket,
      key: 'unicornhealth/staging/terraform.tfstate',
    });
  });

  test('the account has one baseline and two environment stacks', () => {
    expect([...stacks.keys()].sort()).toEqual([
      'unicornhealth-account-nonprod',
      'unicornhealth-account-prod',
      'unicornhealth-dev',
      'unicornhealth-prod',
      'unicornhealth-staging',
    ]);
    expect(nonprodStacks).toHaveLength(3);
  });

  test('no account-wide resource is held twice across the account’s stacks', () => {
    expect(nonprodStacks.flatMap(accountIdentities).length).toBeGreaterThan(80);
    expect(heldTwice(nonprodStacks)).toEqual([]);
  });

  test('the singletons are each held once, by the baseline', () => {
    const baseline = stacks.get('unicornhealth-account-nonprod');
    for (const json of nonprodStacks) {
      const singletons = accountIdentities(json).filter(
        (identity) =>
          ACCOUNT_SINGLETON_TYPES.includes(identity) ||
          ['aws_iam_role dms-vpc-role', 'aws_iam_role dms-cloudwatch-logs-role', 'aws_iam_group LakeAdministrators'].includes(identity),
      );
      expect(singletons.sort()).toEqual(
        json === baseline
          ? [
              'aws_glue_data_catalog_encryption_settings',
              'aws_iam_group LakeAdministrators',
              'aws_iam_role dms-cloudwatch-logs-role',
              'aws_iam_role dms-vpc-role',
              'aws_lakeformation_data_lake_settings',
            ]
          : [],
      );
    }
  });

  test('the baseline administers both environments: a lake-admin role each, both admins of the account’s lake', () => {
    const baseline = stacks.get('unicornhealth-account-nonprod');
    const roles = Object.values<Json>(baseline.resource.aws_iam_role).map((role) => role.name);
    expect(roles).toEqual(expect.arrayContaining(['unicornhealth-dev-lake-admin', 'unicornhealth-staging-lake-admin']));
    const [settings] = Object.values<Json>(baseline.resource.aws_lakeformation_data_lake_settings);
    expect(settings.admins).toEqual([
      '${aws_iam_role.lake-administration_dev-lake-admin-role.arn}',
      '${aws_iam_role.lake-administration_staging-lake-admin-role.arn}',
      dev.governance.deployRoleArn,
    ]);
  });

  test('the check sees a second owner: two baselines for one account hold every singleton twice', () => {
    const app = Testing.app();
    const twice = [nonprodAccount, { ...nonprodAccount, name: 'other' }].map((account) =>
      JSON.parse(Testing.synth(new AccountBaselineStack(app, account, [{ ...staging, account: account.name }]))),
    );
    expect(heldTwice(twice)).toEqual(
      expect.arrayContaining([
        'aws_glue_data_catalog_encryption_settings',
        'aws_iam_group LakeAdministrators',
        'aws_iam_role dms-vpc-role',
        'aws_kms_alias alias/unicornhealth-catalog',
        'aws_lakeformation_data_lake_settings',
      ]),
    );
  });

  test('validation rejects a second baseline owner for the account', () => {
    const second = { ...nonprodAccount, name: 'staging' };
    expect(platformProblems({ accounts: [...accounts, second], environments: [dev, { ...staging, account: 'staging' }, prod] })).toEqual([
      `accounts "nonprod" and "staging" are both account ${nonprodAccount.id}: two baselines would own its Lake Formation settings, catalog encryption, DMS roles and LakeAdministrators group; declare each account once`,
      `account "nonprod" and account "staging" would share the state s3://${nonprodAccount.stateBackend!.bucket}/unicornhealth/account/terraform.tfstate`,
    ]);
  });
});
