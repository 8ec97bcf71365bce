import {
  accountRootArn,
  awsEnvironment,
  glueArn,
  glueDatabaseArns,
  partitionOfRegion,
  regionalServiceName,
} from '../../../stacks/core/aws-environment';

describe('AwsEnvironment', () => {
  const partitionOf = { 'us-east-1': 'aws', 'eu-central-1': 'aws', 'cn-north-1': 'aws-cn', 'us-gov-west-1': 'aws-us-gov' };
  test.each(Object.entries(partitionOf))('%s is in the %s partition', (region, partition) => {
    expect(partitionOfRegion(region)).toBe(partition);
    expect(awsEnvironment('111111111111', region)).toEqual({ accountId: '111111111111', region, partition });
  });

  const china = awsEnvironment('111111111111', 'cn-north-1');

  test('the account root ARN carries the partition', () => {
    expect(accountRootArn(china)).toBe('arn:aws-cn:iam::111111111111:root');
  });

  test('a regional service name is what kms:ViaService and endpoint names use', () => {
    expect(regionalServiceName(china, 's3')).toBe('s3.cn-north-1.amazonaws.com');
  });

  test.each(['catalog', 'database/lake', 'table/lake/patient'])('Glue ARN of %s', (resource) => {
    expect(glueArn(china, resource)).toBe(`arn:aws-cn:glue:cn-north-1:111111111111:${resource}`);
  });

  test('a reader of a Glue database needs the catalog, the database and every table in it', () => {
    expect(glueDatabaseArns(china, 'lake')).toEqual([
      'arn:aws-cn:glue:cn-north-1:111111111111:catalog',
      'arn:aws-cn:glue:cn-north-1:111111111111:database/lake',
      'arn:aws-cn:glue:cn-north-1:111111111111:table/lake/*',
    ]);
  });
});
