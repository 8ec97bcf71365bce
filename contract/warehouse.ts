/** Name of the external schema through which Redshift reads the lake. */
export const EXTERNAL_SCHEMA = 'lake';

const literal = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * The idempotent SQL that makes the Glue database visible in Redshift as an external schema. Run through the
 * Redshift Data API by the post-release script, as the namespace's Spectrum role; Lake Formation decides which
 * columns the role then sees.
 */
export function externalSchemaSql(options: { glueDatabase: string; roleArn: string; region: string; schema?: string }): string {
  return (
    `CREATE EXTERNAL SCHEMA IF NOT EXISTS ${options.schema ?? EXTERNAL_SCHEMA} FROM DATA CATALOG ` +
    `DATABASE ${literal(options.glueDatabase)} IAM_ROLE ${literal(options.roleArn)} REGION ${literal(options.region)}`
  );
}
