import { Construct } from 'constructs';
import { GlueDataCatalogEncryptionSettings } from '@cdktf/provider-aws/lib/glue-data-catalog-encryption-settings';
import { CustomerManagedKey } from './customer-managed-key';

export interface CatalogEncryptionProps {
  /** The key of the account's Data Catalog and its connection passwords; it should be usable through Glue only. */
  readonly key: CustomerManagedKey;
}

/**
 * Encryption of the account's Glue Data Catalog: metadata at rest with a customer-managed key, connection passwords
 * returned encrypted. One setting per account and region, so it lives in the account baseline: an environment stack
 * that held it would overwrite another's on every apply. Encryption applies to catalog objects created after it
 * (https://docs.aws.amazon.com/glue/latest/dg/encrypt-glue-data-catalog.html), which is why the baseline is applied
 * before any environment creates its catalog database.
 */
export class CatalogEncryption extends Construct {
  readonly settings: GlueDataCatalogEncryptionSettings;

  constructor(scope: Construct, id: string, props: CatalogEncryptionProps) {
    super(scope, id);
    this.settings = new GlueDataCatalogEncryptionSettings(this, 'settings', {
      dataCatalogEncryptionSettings: {
        encryptionAtRest: { catalogEncryptionMode: 'SSE-KMS', sseAwsKmsKeyId: props.key.arn },
        connectionPasswordEncryption: { returnConnectionPasswordEncrypted: true, awsKmsKeyId: props.key.arn },
      },
    });
  }
}
