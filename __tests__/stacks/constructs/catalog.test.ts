import { CLINIC_TABLES } from '../../../contract/clinic';
import { SOURCE_SCHEMA, glueType } from '../../../contract/lake';
import { CHANGE_LOG_COLUMNS } from '../../../contract/merge';
import { Catalog, CatalogProps, crawlerName } from '../../../stacks/constructs/catalog';
import {
  Json,
  SynthesizedStack,
  TEST_CATALOG_KEY_ALIAS,
  TEST_CATALOG_KEY_STATEMENT,
  TEST_ENV,
  TEST_PREFIX,
  serviceTrust,
  synthesizeWith,
  testKey,
  testStorage,
} from '../../helpers/synth';

describe('Catalog (Glue and Athena)', () => {
  let catalog!: Catalog;
  const build = (props: Partial<CatalogProps> = {}): SynthesizedStack =>
    synthesizeWith((scope) => {
      catalog = new Catalog(scope, 'catalog', {
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        bytesScannedCutoffPerQuery: 10_000_000,
        storage: testStorage(scope),
        logsKey: testKey(scope, 'logs'),
        catalogKeyAlias: TEST_CATALOG_KEY_ALIAS,
        ...props,
      });
    });
  const stack = build();
  /** The catalog of `stack` (`build` sets `catalog` anew for every stack it builds). */
  const defaultCatalog = catalog;
  const key = (name: string): string => stack.ref('aws_kms_key', `${name}-key`, 'arn');
  const databaseName = 'uh_test';
  const changesDatabaseName = 'uh_test_changes';

  test('two databases named after the prefix, waiting for nothing: what they need account-wide, the baseline made first', () => {
    expect(stack.one('aws_glue_catalog_database', 'catalog_database')).toEqual({
      name: databaseName,
      description: 'UnicornHealth lake: the current state of every clinic table (Apache Iceberg), governed by Lake Formation',
    });
    expect(stack.one('aws_glue_catalog_database', 'changes-database')).toEqual({
      name: changesDatabaseName,
      description: 'UnicornHealth lake: the change log DMS writes (every insert, update and delete), for the merge and the lake admins',
    });
  });

  test('the account-wide catalog settings are not the catalog’s: no encryption settings, no Lake Formation settings', () => {
    expect(stack.all('aws_glue_data_catalog_encryption_settings')).toHaveLength(0);
    expect(stack.all('aws_lakeformation_data_lake_settings')).toHaveLength(0);
  });

  test.each(CLINIC_TABLES.map((t) => [t.name, t] as const))(
    "the change log of %s has DMS's three columns, then the contract columns and types, over its raw-zone folder, as Parquet",
    (name, table) => {
      const glueTable = stack.one('aws_glue_catalog_table', `change-log-${name}`);
      expect(glueTable).toMatchObject({
        name,
        database_name: stack.ref('aws_glue_catalog_database', 'changes-database', 'name'),
        table_type: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
        lifecycle: { ignore_changes: ['parameters', 'storage_descriptor[0].parameters'] },
      });
      expect(glueTable.storage_descriptor.location).toBe(
        `s3://${stack.ref('aws_s3_bucket', 'storage_lake_', 'bucket')}/raw/${SOURCE_SCHEMA}/${name}/`,
      );
      expect(glueTable.storage_descriptor.columns.map((c: Json) => [c.name, c.type])).toEqual([
        ['op', 'string'],
        ['dms_commit_ts', 'string'],
        ['dms_change_seq', 'string'],
        ...table.columns.map((c) => [c.name.toLowerCase(), glueType(c.type)]),
      ]);
      expect(glueTable.storage_descriptor.columns.every((c: Json) => c.comment.length > 10)).toBe(true);
      expect(JSON.stringify(glueTable)).not.toMatch(/col0/);
    },
  );

  test("the change log's own columns are the contract's names for them", () => {
    expect(Object.values(CHANGE_LOG_COLUMNS)).toEqual(['op', 'dms_commit_ts', 'dms_change_seq']);
  });

  test('change-log tables are paired with their contract by name', () => {
    expect([...catalog.changeLogTables.keys()]).toEqual(CLINIC_TABLES.map((t) => t.name));
    for (const [name, table] of catalog.changeLogTables) expect(table.contract.name).toBe(name);
  });

  test('the tables are an option', () => {
    const two = build({ tables: CLINIC_TABLES.filter((t) => ['patient', 'account'].includes(t.name)) });
    expect(
      two
        .all('aws_glue_catalog_table')
        .map((t: Json) => t.name)
        .sort(),
    ).toEqual(['account', 'patient']);
    expect(
      two
        .all('aws_glue_crawler')
        .map((c: Json) => c.name)
        .sort(),
    ).toEqual([`${TEST_PREFIX}-raw-account`, `${TEST_PREFIX}-raw-patient`]);
  });

  test('dates stay dates and money stays exact in the catalog', () => {
    const columns = (table: string): Record<string, string> =>
      Object.fromEntries(
        stack.one('aws_glue_catalog_table', `change-log-${table}`).storage_descriptor.columns.map((c: Json) => [c.name, c.type]),
      );
    expect(columns('patient').dob).toBe('date');
    expect(columns('account')).toMatchObject({ last_payment: 'date', account_balance: 'decimal(10,2)' });
  });

  test.each(CLINIC_TABLES.map((t) => [t.name] as const))(
    'the change log of %s has its own crawler: one catalog target with that one table (Lake Formation credentials allow no more)',
    (name) => {
      const crawler = stack.one('aws_glue_crawler', `crawler-${name}`);
      expect(crawler).toEqual({
        name: crawlerName(TEST_PREFIX, { name }),
        description: `Re-crawls the change log of ${name} in the raw zone written by DMS`,
        role: stack.ref('aws_iam_role', 'crawler-role', 'arn'),
        database_name: stack.ref('aws_glue_catalog_database', 'changes-database', 'name'),
        security_configuration: stack.ref('aws_glue_security_configuration', '', 'name'),
        catalog_target: [
          {
            database_name: stack.ref('aws_glue_catalog_database', 'changes-database', 'name'),
            tables: [stack.ref('aws_glue_catalog_table', `change-log-${name}`, 'name')],
          },
        ],
        lake_formation_configuration: { use_lake_formation_credentials: true, account_id: TEST_ENV.accountId },
        schema_change_policy: { update_behavior: 'UPDATE_IN_DATABASE', delete_behavior: 'LOG' },
        recrawl_policy: { recrawl_behavior: 'CRAWL_EVERYTHING' },
        configuration: JSON.stringify({
          Version: 1.0,
          CrawlerOutput: { Tables: { AddOrUpdateBehavior: 'MergeNewColumns' }, Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
        }),
      });
      expect(crawler.name).toBe(`${TEST_PREFIX}-raw-${name}`);
      expect(defaultCatalog.crawlers.get(name)).toBe(defaultCatalog.changeLogTables.get(name)?.crawler);
    },
  );

  test('one crawler per contract table, all running as the one crawler role', () => {
    expect(stack.all('aws_glue_crawler')).toHaveLength(CLINIC_TABLES.length);
    expect([...defaultCatalog.crawlers.keys()]).toEqual(CLINIC_TABLES.map((t) => t.name));
    expect(stack.all('aws_iam_role')).toHaveLength(1);
  });

  test('the crawler role trusts Glue (which documents no source conditions) and may update only the change-log tables', () => {
    expect(stack.serviceTrustOf('crawler-role')).toEqual(serviceTrust(['glue.amazonaws.com']));
    const policy = stack.one('aws_iam_role_policy', 'crawler').policy;
    expect(stack.sids(policy)).toEqual([
      'UpdateChangeLogTables',
      'LakeFormationCredentials',
      'CatalogKeyThroughGlue',
      'LakeKeyForCrawlerOutput',
      'WriteEncryptedCrawlerLogs',
    ]);
    const glue = `arn:aws:glue:us-east-1:${TEST_ENV.accountId}`;
    expect(stack.statement(policy, 'UpdateChangeLogTables').resources).toEqual([
      `${glue}:catalog`,
      `${glue}:database/${changesDatabaseName}`,
      ...CLINIC_TABLES.map(
        (t) => `${glue}:table/${changesDatabaseName}/${stack.ref('aws_glue_catalog_table', `change-log-${t.name}`, 'name')}`,
      ),
    ]);
    // The raw zone is read with Lake Formation's credentials, not the role's: no S3 permission, no lake key through S3.
    expect(stack.statement(policy, 'LakeKeyForCrawlerOutput')).toMatchObject({
      resources: [key('lake')],
      condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['glue.us-east-1.amazonaws.com'] }],
    });
    expect(JSON.stringify(stack.policyBehind(policy))).not.toMatch(/"s3:/);
  });

  test('the crawler writes the encrypted catalog with the account’s catalog key, named by its alias, through Glue only', () => {
    expect(stack.statement(stack.one('aws_iam_role_policy', 'crawler').policy, 'CatalogKeyThroughGlue')).toEqual(
      TEST_CATALOG_KEY_STATEMENT,
    );
    expect(catalog.catalogKeyAlias).toBe(TEST_CATALOG_KEY_ALIAS);
  });

  test('crawler logs, bookmarks and output are encrypted with customer-managed keys', () => {
    expect(stack.one('aws_glue_security_configuration').encryption_configuration).toEqual({
      cloudwatch_encryption: { cloudwatch_encryption_mode: 'SSE-KMS', kms_key_arn: key('logs') },
      job_bookmarks_encryption: { job_bookmarks_encryption_mode: 'CSE-KMS', kms_key_arn: key('lake') },
      s3_encryption: { s3_encryption_mode: 'SSE-KMS', kms_key_arn: key('lake') },
    });
  });

  test('the Athena workgroup is enforced, writes encrypted results to the results bucket, caps bytes scanned and pins engine 3 by default', () => {
    expect(stack.one('aws_athena_workgroup')).toMatchObject({
      name: `${TEST_PREFIX}-analysts`,
      state: 'ENABLED',
      force_destroy: false,
      configuration: {
        enforce_workgroup_configuration: true,
        publish_cloudwatch_metrics_enabled: true,
        bytes_scanned_cutoff_per_query: 10_000_000,
        requester_pays_enabled: false,
        engine_version: { selected_engine_version: 'Athena engine version 3' },
        result_configuration: {
          output_location: `s3://${stack.ref('aws_s3_bucket', 'athena-results', 'bucket')}/athena/`,
          encryption_configuration: { encryption_option: 'SSE_KMS', kms_key_arn: key('lake') },
        },
      },
    });
  });

  test('the Athena engine version is an option', () => {
    expect(build({ athenaEngineVersion: 'AUTO' }).one('aws_athena_workgroup').configuration.engine_version).toEqual({
      selected_engine_version: 'AUTO',
    });
  });
});
