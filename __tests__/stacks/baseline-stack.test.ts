import { nonprodAccount, prodAccount } from '../../config/accounts';
import { dev, prod } from '../../config/environments';
import { ConfigError } from '../../config/validate';
import { baselineStackName } from '../../stacks/baseline-stack';
import { Json, SynthesizedStack, synthesize, synthesizeBaseline } from '../helpers/synth';

describe('AccountBaselineStack', () => {
  const baselines = { nonprod: synthesizeBaseline(nonprodAccount, [dev]), prod: synthesizeBaseline(prodAccount, [prod]) };
  const environments = { nonprod: synthesize(dev), prod: synthesize(prod) };
  const accounts = { nonprod: nonprodAccount, prod: prodAccount };
  const names = ['nonprod', 'prod'] as const;
  const keyPolicy = (stack: SynthesizedStack): Json => stack.policyBehind(stack.one('aws_kms_key', 'catalog-key').policy);

  test.each(names)('%s: the stack is named after the project and the account', (name) => {
    expect(baselineStackName(accounts[name])).toBe(`unicornhealth-account-${name}`);
    expect(baselines[name].stack.node.id).toBe(`unicornhealth-account-${name}`);
  });

  test.each(names)('%s: the provider may only be applied to the account, and tags name the account, not an environment', (name) => {
    const [provider] = baselines[name].json.provider.aws;
    expect(provider).toMatchObject({ region: 'us-east-1', allowed_account_ids: [accounts[name].id] });
    expect(provider.default_tags[0].tags).toMatchObject({ Account: name, DataClassification: 'PHI' });
    expect(provider.default_tags[0].tags).not.toHaveProperty('Environment');
  });

  test.each(names)('%s: its state has its own key in the account’s state bucket, beside the environments’', (name) => {
    const backend = baselines[name].json.terraform.backend.s3;
    expect(backend).toMatchObject({ bucket: `unicornhealth-tfstate-${accounts[name].id}`, key: 'unicornhealth/account/terraform.tfstate' });
    expect(environments[name].json.terraform.backend.s3.bucket).toBe(backend.bucket);
    expect(environments[name].json.terraform.backend.s3.key).not.toBe(backend.key);
  });

  test.each(names)('%s: it holds exactly the account- and region-wide singletons', (name) => {
    const held = Object.entries<Json>(baselines[name].json.resource).flatMap(([type, byName]) =>
      Object.values<Json>(byName).map((values) => `${type}${values.name ? ` ${values.name}` : ''}`),
    );
    expect(held.sort()).toEqual(
      [
        'aws_glue_data_catalog_encryption_settings',
        'aws_iam_group LakeAdministrators',
        'aws_iam_group_membership lake-administrators-members',
        'aws_iam_group_policy assume-lake-admin-with-mfa',
        'aws_iam_role dms-cloudwatch-logs-role',
        'aws_iam_role dms-vpc-role',
        `aws_iam_role unicornhealth-${name === 'nonprod' ? 'dev' : 'prod'}-lake-admin`,
        'aws_iam_role_policy administer-lake-formation',
        'aws_iam_role_policy_attachment',
        'aws_iam_role_policy_attachment',
        'aws_kms_alias alias/unicornhealth-catalog',
        'aws_kms_key',
        'aws_lakeformation_data_lake_settings',
      ].sort(),
    );
    expect(Object.keys(baselines[name].json.data)).toEqual(['aws_iam_policy_document']);
  });

  test('the catalog key encrypts the catalog and may be used by the account’s principals through Glue only', () => {
    const stack = baselines.nonprod;
    const key = stack.ref('aws_kms_key', 'catalog-key', 'arn');
    expect(stack.one('aws_glue_data_catalog_encryption_settings').data_catalog_encryption_settings).toEqual({
      encryption_at_rest: { catalog_encryption_mode: 'SSE-KMS', sse_aws_kms_key_id: key },
      connection_password_encryption: { return_connection_password_encrypted: true, aws_kms_key_id: key },
    });
    const use = keyPolicy(stack).statement.find((s: Json) => s.sid === 'UseThroughNamedServices');
    expect(use.condition).toEqual([
      { test: 'StringEquals', variable: 'kms:CallerAccount', values: [nonprodAccount.id] },
      { test: 'StringEquals', variable: 'kms:ViaService', values: ['glue.us-east-1.amazonaws.com'] },
    ]);
    expect(keyPolicy(stack).statement.map((s: Json) => s.sid)).toEqual([
      'AccountAdministersKeyThroughIam',
      'UseThroughNamedServices',
      'GrantsForNamedServiceResources',
    ]);
  });

  test('the Lake Formation admins are the environment’s lake-admin role and the deploying role, with no default permissions', () => {
    const stack = baselines.prod;
    expect(stack.one('aws_lakeformation_data_lake_settings')).toEqual({
      admins: [stack.ref('aws_iam_role', 'prod-lake-admin-role', 'arn'), prod.governance.deployRoleArn],
      read_only_admins: ['arn:aws:iam::222222222222:role/unicornhealth-plan'],
      create_database_default_permissions: [],
      create_table_default_permissions: [],
      allow_full_table_external_data_access: false,
    });
  });

  test.each(names)('%s: the plan role is a read-only Lake Formation admin, so terraform plan reads the grants it refreshes', (name) => {
    const { admins, read_only_admins } = baselines[name].one('aws_lakeformation_data_lake_settings');
    const planRole = `arn:aws:iam::${accounts[name].id}:role/${accounts[name].planRoleName}`;
    expect(read_only_admins).toEqual([planRole]);
    expect(admins).not.toContain(planRole);
  });

  test.each(names)('%s: the environment stack names the baseline’s catalog key and lake-admin role as the baseline makes them', (name) => {
    const baseline = baselines[name];
    const environment = environments[name];
    const alias = baseline.one('aws_kms_alias', 'catalog-key').name;
    for (const policy of ['crawler-policy', 'analyst-policy', 'spectrum-policy']) {
      const statement = environment.statement(environment.one('aws_iam_role_policy', policy).policy, 'CatalogKeyThroughGlue');
      expect(statement.condition[0]).toEqual({ test: 'ForAnyValue:StringEquals', variable: 'kms:ResourceAliases', values: [alias] });
      expect(statement.resources).toEqual([`arn:aws:kms:us-east-1:${accounts[name].id}:key/*`]);
    }
    const roleName = baseline.all('aws_iam_role').find((role: Json) => role.name.endsWith('-lake-admin')).name;
    expect(environment.outputs().lake_admin_role_arn.value).toBe(`arn:aws:iam::${accounts[name].id}:role/${roleName}`);
  });

  test('the DMS account roles and LakeAdministrators are nowhere else: the environment stacks hold none of them', () => {
    for (const name of names) {
      const roles = environments[name].all('aws_iam_role').map((role: Json) => role.name);
      expect(roles).not.toContain('dms-vpc-role');
      expect(roles).not.toContain('dms-cloudwatch-logs-role');
      expect(roles.filter((role: string) => role.endsWith('-lake-admin'))).toEqual([]);
      expect(environments[name].all('aws_iam_group')).toHaveLength(0);
    }
  });

  test('a baseline for an environment of another account fails the synth with the reason', () => {
    expect(() => synthesizeBaseline(nonprodAccount, [prod])).toThrow(ConfigError);
    expect(() => synthesizeBaseline(nonprodAccount, [prod])).toThrow(/environment "prod": account "prod" is not declared/);
  });

  test('the baseline outputs the catalog key and every environment’s lake-admin role', () => {
    const outputs = baselines.nonprod.outputs();
    expect(outputs.catalog_key_arn.value).toBe(baselines.nonprod.ref('aws_kms_key', 'catalog-key', 'arn'));
    expect(outputs.lake_admin_role_arns.value).toEqual({ dev: baselines.nonprod.ref('aws_iam_role', 'dev-lake-admin-role', 'arn') });
  });
});
