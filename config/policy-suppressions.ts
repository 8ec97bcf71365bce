/**
 * Accepted exceptions to the policy checks: each names the rule, the resource (a Terraform address, `*` allowed at
 * the end) and why. Every report lists them, so an exception is always visible.
 */
export interface Suppression {
  readonly rule: string;
  readonly resource: string;
  readonly reason: string;
}

export const POLICY_SUPPRESSIONS: readonly Suppression[] = [
  {
    rule: 'UH-S3-002',
    resource: 'aws_s3_bucket.storage_access-logs_bucket',
    reason: 'S3 server access log delivery is documented for SSE-S3 target buckets; this bucket holds request metadata, not lake data',
  },
  {
    rule: 'UH-S3-005',
    resource: 'aws_s3_bucket.storage_access-logs_bucket',
    reason: 'the access-log bucket is the log target itself; logging it into itself would loop',
  },
];
