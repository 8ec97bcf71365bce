import { CatalogEncryption } from '../../../stacks/constructs/catalog-encryption';
import { synthesizeWith, testKey } from '../../helpers/synth';

describe('CatalogEncryption', () => {
  const stack = synthesizeWith((scope) => new CatalogEncryption(scope, 'catalog-encryption', { key: testKey(scope, 'catalog') }));
  const key = stack.ref('aws_kms_key', 'catalog-key', 'arn');

  test('the Data Catalog is encrypted with the given key, and returns connection passwords encrypted with it', () => {
    expect(stack.one('aws_glue_data_catalog_encryption_settings')).toEqual({
      data_catalog_encryption_settings: {
        encryption_at_rest: { catalog_encryption_mode: 'SSE-KMS', sse_aws_kms_key_id: key },
        connection_password_encryption: { return_connection_password_encrypted: true, aws_kms_key_id: key },
      },
    });
  });

  test('it is the one setting of the account and region, at a stable address', () => {
    expect(stack.idOf('aws_glue_data_catalog_encryption_settings')).toBe('catalog-encryption_settings');
  });
});
