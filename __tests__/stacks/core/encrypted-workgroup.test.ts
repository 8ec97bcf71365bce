import { encryptedWorkgroupConfig } from '../../../stacks/core/encrypted-workgroup';

describe('encryptedWorkgroupConfig', () => {
  test('enforces its settings, caps each query, pins the engine and encrypts results with the given key', () => {
    expect(
      encryptedWorkgroupConfig({
        name: 'uh-test-analysts',
        description: 'Queries',
        resultsLocation: 's3://results/athena/',
        kmsKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/lake',
        bytesScannedCutoffPerQuery: 10_000_000,
        engineVersion: 'AUTO',
      }),
    ).toEqual({
      name: 'uh-test-analysts',
      description: 'Queries',
      state: 'ENABLED',
      forceDestroy: false,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: 10_000_000,
        requesterPaysEnabled: false,
        engineVersion: { selectedEngineVersion: 'AUTO' },
        resultConfiguration: {
          outputLocation: 's3://results/athena/',
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/lake' },
        },
      },
    });
  });
});
