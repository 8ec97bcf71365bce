import { dev } from '../../../config/environments';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { glueType } from '../../../contract/lake';
import { Json, ref, synthesize } from '../../helpers/synth';

describe('Catalog (Glue and Athena)', () => {
  const stack = synthesize(dev);
  const key = (name: string): string => ref('aws_kms_key', stack.idOf('aws_kms_key', `${name}-key`), 'arn');

  test.each(CLINIC_TABLES.map((t) => [t.name, t] as const))(
    'table %s has the contract columns and types, over its raw-zone folder',
    (name, table) => {
      const glueTable = stack.one('aws_glue_catalog_table', `table-${name}_`);
      expect(glueTable.name).toBe(name);
      expect(glueTable.storage_descriptor.location).toMatch(new RegExp(`/raw/unicornhealth/${name}/$`));
      expect(glueTable.storage_descriptor.columns.map((c: Json) => [c.name, c.type])).toEqual(
        table.columns.map((c) => [c.name.toLowerCase(), glueType(c.type)]),
      );
      expect(JSON.stringify(glueTable)).not.toMatch(/col0/);
    },
  );

  test('dates stay dates and money stays exact in the catalog', () => {
    const columns = (table: string): Record<string, string> =>
      Object.fromEntries(
        stack.one('aws_glue_catalog_table', `table-${table}_`).storage_descriptor.columns.map((c: Json) => [c.name, c.type]),
      );
    expect(columns('patient').dob).toBe('date');
    expect(columns('account')).toMatchObject({ last_payment: 'date', account_balance: 'decimal(10,2)' });
  });

  test('the crawler re-crawls exactly the contract tables under Lake Formation credentials, with a security configuration', () => {
    const crawler = stack.one('aws_glue_crawler');
    expect(crawler.catalog_target[0].tables).toHaveLength(CLINIC_TABLES.length);
    expect(crawler.lake_formation_configuration).toEqual({ use_lake_formation_credentials: true, account_id: dev.accountId });
    expect(crawler.security_configuration).toBe(
      ref('aws_glue_security_configuration', stack.idOf('aws_glue_security_configuration'), 'name'),
    );
    expect(crawler.schema_change_policy).toEqual({ update_behavior: 'UPDATE_IN_DATABASE', delete_behavior: 'LOG' });
    expect(crawler.recrawl_policy).toEqual({ recrawl_behavior: 'CRAWL_EVERYTHING' });
  });

  test('crawler logs, bookmarks and output are encrypted with customer-managed keys', () => {
    expect(stack.one('aws_glue_security_configuration').encryption_configuration).toEqual({
      cloudwatch_encryption: { cloudwatch_encryption_mode: 'SSE-KMS', kms_key_arn: key('logs') },
      job_bookmarks_encryption: { job_bookmarks_encryption_mode: 'CSE-KMS', kms_key_arn: key('lake') },
      s3_encryption: { s3_encryption_mode: 'SSE-KMS', kms_key_arn: key('lake') },
    });
  });

  test('the Data Catalog is encrypted with the lake key and returns connection passwords encrypted', () => {
    expect(stack.one('aws_glue_data_catalog_encryption_settings').data_catalog_encryption_settings).toEqual({
      encryption_at_rest: { catalog_encryption_mode: 'SSE-KMS', sse_aws_kms_key_id: key('lake') },
      connection_password_encryption: { return_connection_password_encrypted: true, aws_kms_key_id: key('lake') },
    });
  });

  test('the Athena workgroup is enforced, encrypts results with the lake key, caps bytes scanned and pins its engine', () => {
    expect(stack.one('aws_athena_workgroup').configuration).toMatchObject({
      enforce_workgroup_configuration: true,
      publish_cloudwatch_metrics_enabled: true,
      bytes_scanned_cutoff_per_query: dev.analytics.bytesScannedCutoffPerQuery,
      engine_version: { selected_engine_version: 'Athena engine version 3' },
      result_configuration: { encryption_configuration: { encryption_option: 'SSE_KMS', kms_key_arn: key('lake') } },
    });
  });

  test('the catalog database waits for the Lake Formation settings', () => {
    expect(stack.one('aws_glue_catalog_database').depends_on).toEqual([
      `aws_lakeformation_data_lake_settings.${stack.idOf('aws_lakeformation_data_lake_settings')}`,
    ]);
  });
});
