/** Where a stack deploys: every ARN and service principal a construct builds is derived from this. */
export interface AwsEnvironment {
  readonly accountId: string;
  readonly region: string;
  /** `aws`, `aws-cn` or `aws-us-gov`, derived from the region. */
  readonly partition: string;
}

export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function awsEnvironment(accountId: string, region: string): AwsEnvironment {
  return { accountId, region, partition: partitionOfRegion(region) };
}

/** ARN of the account root principal: "any principal of this account that IAM allows". */
export function accountRootArn(env: AwsEnvironment): string {
  return `arn:${env.partition}:iam::${env.accountId}:root`;
}

/** ARN of a role of this account by name: role names are deterministic, so ARNs can be named before the role exists. */
export function roleArn(env: AwsEnvironment, roleName: string): string {
  return `arn:${env.partition}:iam::${env.accountId}:role/${roleName}`;
}

/** ARN of an S3 bucket by name (bucket ARNs carry neither region nor account). */
export function bucketArn(env: AwsEnvironment, bucketName: string): string {
  return `arn:${env.partition}:s3:::${bucketName}`;
}

/** The regional endpoint name of a service, as used in `kms:ViaService` and interface endpoint names. */
export function regionalServiceName(env: AwsEnvironment, service: string): string {
  return `${service}.${env.region}.amazonaws.com`;
}

/** ARN of a Glue Data Catalog resource of this account: `catalog`, `database/<db>`, `table/<db>/<table>`. */
export function glueArn(env: AwsEnvironment, resource: string): string {
  return `arn:${env.partition}:glue:${env.region}:${env.accountId}:${resource}`;
}

/** ARNs a reader of a Glue database needs: the catalog, the database, and every table in it. */
export function glueDatabaseArns(env: AwsEnvironment, databaseName: string): string[] {
  return [glueArn(env, 'catalog'), glueArn(env, `database/${databaseName}`), glueArn(env, `table/${databaseName}/*`)];
}
