import { AthenaWorkgroupConfig } from '@cdktf/provider-aws/lib/athena-workgroup';

export interface EncryptedWorkgroupProps {
  readonly name: string;
  readonly description: string;
  /** Where query results go, for example `s3://<results bucket>/athena/`. */
  readonly resultsLocation: string;
  /** The KMS key every result is encrypted with (SSE-KMS). */
  readonly kmsKeyArn: string;
  /** The most bytes one query may scan before Athena cancels it. */
  readonly bytesScannedCutoffPerQuery: number;
  /** The engine version the workgroup pins, for example `Athena engine version 3` or `AUTO`. */
  readonly engineVersion: string;
}

/**
 * The settings of an Athena workgroup that overrides its clients' (so no query sends its results elsewhere or
 * unencrypted), caps each query, publishes CloudWatch metrics, is never requester-pays and is never destroyed with
 * its saved queries. A config rather than a construct: each construct still writes `new AthenaWorkgroup(this, id, ...)`,
 * so the resource keeps its address and the policy report's SARIF still finds the line that creates it.
 */
export function encryptedWorkgroupConfig(props: EncryptedWorkgroupProps): AthenaWorkgroupConfig {
  return {
    name: props.name,
    description: props.description,
    state: 'ENABLED',
    forceDestroy: false,
    configuration: {
      enforceWorkgroupConfiguration: true,
      publishCloudwatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
      requesterPaysEnabled: false,
      engineVersion: { selectedEngineVersion: props.engineVersion },
      resultConfiguration: {
        outputLocation: props.resultsLocation,
        encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: props.kmsKeyArn },
      },
    },
  };
}
