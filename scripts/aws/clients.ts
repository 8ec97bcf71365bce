/**
 * Retry settings of every AWS SDK client the tools create: the SDK retries throttling and transient errors itself
 * (with `adaptive`, it also slows its own request rate when throttled), so no tool wraps SDK calls in a retry loop
 * of its own. Waits for long-running jobs (a DMS task, a crawl, a query) are polls with deadlines, not retries.
 */
export const SDK_RETRY = { maxAttempts: 5, retryMode: 'adaptive' } as const;

/** Temporary credentials, such as those of an assumed role. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface ClientSettings {
  readonly region?: string;
  readonly maxAttempts: number;
  readonly retryMode: 'adaptive';
  readonly credentials?: Credentials;
}

/** Settings for an SDK client in `region`, optionally with other credentials (an assumed role). */
export function clientSettings(region?: string, credentials?: Credentials): ClientSettings {
  return { ...(region ? { region } : {}), ...SDK_RETRY, ...(credentials ? { credentials } : {}) };
}
