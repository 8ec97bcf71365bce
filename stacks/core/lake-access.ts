import { AwsEnvironment, regionalServiceName } from './aws-environment';
import { NamedStatement, denyEveryone } from './policy-document';

/*
 * Lake data is read through Lake Formation only. Athena, Redshift Spectrum and Glue crawlers with Lake Formation
 * credentials read a registered location with temporary credentials Lake Formation vends by assuming the role the
 * location is registered with ("Lake Formation assumes that role when it grants temporary credentials to integrated
 * AWS services that access the data in that location":
 * https://docs.aws.amazon.com/lake-formation/latest/dg/register-location.html,
 * https://docs.aws.amazon.com/lake-formation/latest/dg/working-with-services.html). Whoever else holds s3:GetObject
 * and the key through IAM would read every column, PHI included, past the column grants; these two statements deny
 * that to every principal but the named roles. A request made with a role's session carries the role's ARN as
 * aws:PrincipalArn (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn),
 * which is how the vended credentials keep working. Policy rules UH-AWS-LF-001 and UH-AWS-LF-002.
 */

/** Object reads that return lake data: the current object and any earlier version of it. */
export const LAKE_OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];

/**
 * Bucket-policy statement: no principal but `readerRoleArns` (the Lake Formation registration role) reads an object
 * of the lake bucket. The whole bucket: it holds nothing but lake data, so a zone added later is covered by default.
 */
export function denyLakeObjectReadsOutsideLakeFormation(lakeBucketArn: string, readerRoleArns: readonly string[]): NamedStatement {
  return denyEveryone(
    'DenyLakeObjectReadsOutsideLakeFormation',
    LAKE_OBJECT_READ_ACTIONS,
    [`${lakeBucketArn}/*`],
    [{ test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: [...readerRoleArns] }],
  );
}

/**
 * Key-policy statement: through S3, the lake key decrypts lake objects only for `decrypterRoleArns` (the registration
 * role that reads them for Lake Formation, and DMS's writer, which S3 asks for kms:Decrypt when it uploads in parts).
 * S3 names the object in the encryption context, or the bucket when S3 Bucket Keys are on
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html), hence both forms; the Athena
 * results bucket shares the key and keeps its own context, so query results stay readable by their users.
 */
export function denyLakeDecryptOutsideLakeFormation(
  env: AwsEnvironment,
  lakeBucketArn: string,
  decrypterRoleArns: readonly string[],
): NamedStatement {
  return denyEveryone(
    'DenyLakeDataDecryptOutsideLakeFormation',
    ['kms:Decrypt'],
    ['*'],
    [
      { test: 'StringEquals', variable: 'kms:ViaService', values: [regionalServiceName(env, 's3')] },
      { test: 'StringLike', variable: 'kms:EncryptionContext:aws:s3:arn', values: [lakeBucketArn, `${lakeBucketArn}/*`] },
      { test: 'ArnNotLike', variable: 'aws:PrincipalArn', values: [...decrypterRoleArns] },
    ],
  );
}
