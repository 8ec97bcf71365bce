import { EXTERNAL_SCHEMA, externalSchemaSql } from '../../contract/warehouse';

describe('the Redshift external schema', () => {
  const options = { glueDatabase: 'unicornhealth_dev', roleArn: 'arn:aws:iam::111111111111:role/r', region: 'us-east-1' };

  test('is idempotent SQL naming the Glue database, the role and the region, under the default schema name', () => {
    expect(EXTERNAL_SCHEMA).toBe('lake');
    expect(externalSchemaSql(options)).toBe(
      "CREATE EXTERNAL SCHEMA IF NOT EXISTS lake FROM DATA CATALOG DATABASE 'unicornhealth_dev' IAM_ROLE 'arn:aws:iam::111111111111:role/r' REGION 'us-east-1'",
    );
  });

  test('takes another schema name', () => {
    expect(externalSchemaSql({ ...options, schema: 'lake_v2' })).toMatch(/^CREATE EXTERNAL SCHEMA IF NOT EXISTS lake_v2 FROM /);
  });

  test.each([
    ['the Glue database', { glueDatabase: "clinic's_db" }, "DATABASE 'clinic''s_db'"],
    ['the role', { roleArn: "arn:aws:iam::1:role/o'brien" }, "IAM_ROLE 'arn:aws:iam::1:role/o''brien'"],
    ['the region', { region: "us-east-1' OR '1'='1" }, "REGION 'us-east-1'' OR ''1''=''1'"],
  ])('single quotes in %s are doubled, so the value stays one literal', (_case, patch, literal) => {
    const sql = externalSchemaSql({ ...options, ...patch });
    expect(sql).toContain(literal);
    expect(sql.replace(/'(?:[^']|'')*'/g, '').match(/'/g)).toBeNull();
  });
});
