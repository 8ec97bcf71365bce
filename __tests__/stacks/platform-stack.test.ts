import { dev, prod } from '../../config/environments';
import { ConfigError } from '../../config/validate';
import { synthesize, withConfig } from '../helpers/synth';

describe('PlatformStack provider, backend and outputs', () => {
  const stacks = { dev: synthesize(dev), prod: synthesize(prod) };

  test.each(['dev', 'prod'] as const)('%s: the provider is pinned to its region and account, with default tags', (name) => {
    const { json } = stacks[name];
    const config = name === 'dev' ? dev : prod;
    expect(json.provider.aws).toEqual([
      expect.objectContaining({
        region: config.region,
        allowed_account_ids: [config.accountId],
        default_tags: [{ tags: expect.objectContaining({ Environment: name, DataClassification: 'PHI' }) }],
      }),
    ]);
    expect(json.provider.aws[0]).not.toHaveProperty('access_key');
    expect(json.provider.aws[0]).not.toHaveProperty('secret_key');
    expect(json.terraform.required_providers.aws.version).toBe('5.100.0');
  });

  test.each(['dev', 'prod'] as const)('%s: state lives in S3, encrypted, one key per environment, native lock file', (name) => {
    expect(stacks[name].json.terraform.backend).toEqual({
      s3: {
        bucket: `unicornhealth-tfstate-${(name === 'dev' ? dev : prod).accountId}`,
        key: `unicornhealth/${name}/terraform.tfstate`,
        region: 'us-east-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
    expect(stacks[name].text).not.toContain('dynamodb_table');
  });

  test('an environment without a state bucket uses a local backend', () => {
    const local = synthesize({ ...dev, name: 'sandbox', stateBackend: undefined });
    expect(local.json.terraform.backend).toEqual({ local: { path: 'terraform.unicornhealth-sandbox.tfstate' } });
  });

  test.each(['dev', 'prod'] as const)('%s: the only data sources are local policy documents (nothing calls AWS at plan time)', (name) => {
    expect(Object.keys(stacks[name].json.data)).toEqual(['aws_iam_policy_document']);
  });

  test.each(['dev', 'prod'] as const)('%s: no password, key material or machine path in the synthesized JSON', (name) => {
    const { text } = stacks[name];
    expect(text).not.toMatch(/"(master_)?password"\s*:/);
    expect(text).not.toMatch(/AKIA[0-9A-Z]{16}/);
    expect(text).not.toMatch(/"\/(opt|work|root|tmp)\//);
  });

  test.each([
    'region',
    'rds_endpoint',
    'rds_port',
    'rds_database_name',
    'rds_instance_id',
    'rds_master_secret_arn',
    'rds_ca_cert_identifier',
    'lake_bucket_name',
    'raw_zone_prefix',
    'athena_results_bucket_name',
    'access_log_bucket_name',
    'vpc_id',
    'private_subnet_ids',
    'kms_lake_key_arn',
    'kms_database_key_arn',
    'kms_logs_key_arn',
    'access_host_instance_id',
    'dms_replication_instance_arn',
    'dms_task_arn',
    'dms_source_endpoint_arn',
    'dms_target_endpoint_arn',
    'dms_secret_arn',
    'glue_database_name',
    'glue_crawler_name',
    'athena_workgroup',
    'athena_results_location',
    'redshift_workgroup',
    'redshift_namespace',
    'redshift_database',
    'redshift_role_arn',
    'lake_admin_role_arn',
    'analyst_role_arn',
    'crawler_role_arn',
    'alerts_topic_arn',
  ])('both environments output %s under the same name', (output) => {
    expect(stacks.dev.outputs()).toHaveProperty(output);
    expect(stacks.prod.outputs()).toHaveProperty(output);
  });

  test('the master secret output points at the RDS-managed secret', () => {
    expect(stacks.dev.outputs().rds_master_secret_arn.value).toMatch(/^\$\{aws_db_instance\.[^.]+\.master_user_secret\[0\]\.secret_arn\}$/);
  });

  test('an invalid environment fails the synth with the list of problems', () => {
    expect(() => synthesize(withConfig(dev, { network: { availabilityZones: ['us-east-1a'] } }))).toThrow(ConfigError);
  });
});
