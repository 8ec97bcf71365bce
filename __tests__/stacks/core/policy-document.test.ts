import {
  allow,
  catalogKeyThroughGlue,
  denyInsecureTransport,
  lakeFormationDataAccess,
  policyDocument,
  throughServices,
} from '../../../stacks/core/policy-document';
import { awsEnvironment } from '../../../stacks/core/aws-environment';
import { TEST_ENV, synthesizeWith } from '../../helpers/synth';

describe('policy documents', () => {
  test('a policy document is a local aws_iam_policy_document data source holding the statements', () => {
    const statement = { sid: 'ReadObjects', effect: 'Allow', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] };
    const stack = synthesizeWith((scope) => {
      policyDocument(scope, 'document', [statement]);
    });
    expect(stack.json.data.aws_iam_policy_document).toEqual({
      document: { statement: [{ sid: 'ReadObjects', effect: 'Allow', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }] },
    });
  });

  test('throughServices limits a KMS permission to the regional names of the services', () => {
    expect(throughServices(TEST_ENV, 's3', 'glue')).toEqual([
      { test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com', 'glue.us-east-1.amazonaws.com'] },
    ]);
  });

  test('allow makes an identity-policy statement, with the condition when one is given', () => {
    expect(allow('ReadObjects', ['s3:GetObject'], ['arn:aws:s3:::b/*'])).toEqual({
      sid: 'ReadObjects',
      effect: 'Allow',
      actions: ['s3:GetObject'],
      resources: ['arn:aws:s3:::b/*'],
    });
    expect(allow('UseKey', ['kms:Decrypt'], ['*'], throughServices(TEST_ENV, 's3')).condition).toEqual(throughServices(TEST_ENV, 's3'));
  });

  test('denyInsecureTransport refuses plain HTTP to every principal', () => {
    const statement = denyInsecureTransport(['sns:Publish'], ['arn:aws:sns:us-east-1:111111111111:t']);
    expect(statement).toMatchObject({ sid: 'DenyInsecureTransport', effect: 'Deny', principals: [{ type: '*', identifiers: ['*'] }] });
    expect(statement.condition).toEqual([{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }]);
  });

  test('the Lake Formation data-access statement asks for credentials and nothing else', () => {
    expect(lakeFormationDataAccess()).toEqual({
      sid: 'LakeFormationCredentials',
      effect: 'Allow',
      actions: ['lakeformation:GetDataAccess'],
      resources: ['*'],
    });
  });

  test('the catalog key is named by alias: any key of the account and region carrying the alias, through Glue only', () => {
    expect(catalogKeyThroughGlue(awsEnvironment('222222222222', 'eu-west-1'), 'unicornhealth-catalog')).toEqual({
      sid: 'CatalogKeyThroughGlue',
      effect: 'Allow',
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: ['arn:aws:kms:eu-west-1:222222222222:key/*'],
      condition: [
        { test: 'ForAnyValue:StringEquals', variable: 'kms:ResourceAliases', values: ['alias/unicornhealth-catalog'] },
        { test: 'StringEquals', variable: 'kms:ViaService', values: ['glue.eu-west-1.amazonaws.com'] },
      ],
    });
  });
});
