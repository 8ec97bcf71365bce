/** Time source and sleep, injectable so tests run waits on a virtual clock. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/** A point in time after which waiting stops; every wait in the smoke run has one. */
export class Deadline {
  private constructor(
    private readonly clock: Clock,
    private readonly at: number,
  ) {}

  static in(clock: Clock, ms: number): Deadline {
    return new Deadline(clock, clock.now() + ms);
  }

  /** The earlier of this deadline and one `ms` from now. */
  within(ms: number): Deadline {
    return new Deadline(this.clock, Math.min(this.at, this.clock.now() + ms));
  }

  remaining(): number {
    return Math.max(0, this.at - this.clock.now());
  }

  check(what: string): void {
    if (this.remaining() <= 0) throw new DeadlineExceeded(`deadline exceeded while ${what}`);
  }
}

export interface BackoffOptions {
  /** @default 1000 */
  readonly baseMs?: number;
  /** @default 30000 */
  readonly capMs?: number;
  /** Random number source in [0, 1), for jitter. @default Math.random */
  readonly random?: () => number;
}

/** Capped exponential backoff with full jitter: attempt n waits a random time up to min(cap, base * 2^n). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const ceiling = Math.min(options.capMs ?? 30_000, (options.baseMs ?? 1_000) * 2 ** attempt);
  return Math.round((options.random ?? Math.random)() * ceiling);
}

/** Errors worth another try: throttling and transient service or network failures. */
export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? e?.code ?? '';
  if (
    /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|ServiceUnavailable|InternalServerError|InternalFailure|ProvisionedThroughputExceeded|TimeoutError|ECONNRESET|ETIMEDOUT|EAI_AGAIN/.test(
      name,
    )
  )
    return true;
  if (e?.$retryable) return true;
  const status = e?.$metadata?.httpStatusCode ?? 0;
  return status === 429 || status >= 500;
}

export interface RetryOptions extends BackoffOptions {
  readonly clock: Clock;
  readonly deadline: Deadline;
  /** @default 6 */
  readonly attempts?: number;
  readonly what: string;
}

/** Calls `work`, retrying transient failures with backoff, within the deadline and a bounded number of attempts. */
export async function withRetry<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? 6;
  for (let attempt = 0; ; attempt += 1) {
    options.deadline.check(options.what);
    try {
      return await work();
    } catch (error) {
      if (!isTransient(error) || attempt + 1 >= attempts) throw error;
      await options.clock.sleep(Math.min(backoffDelay(attempt, options), options.deadline.remaining()));
    }
  }
}

/**
 * Polls `probe` until it returns a value (not undefined), sleeping with capped exponential backoff and jitter
 * between tries; transient errors of the probe are retried; the deadline ends the wait with `DeadlineExceeded`.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    const result = await withRetry(probe, options);
    if (result !== undefined) return result;
    options.deadline.check(options.what);
    await options.clock.sleep(Math.max(1, Math.min(backoffDelay(Math.min(attempt, 10), options), options.deadline.remaining())));
    options.deadline.check(options.what);
  }
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the input order in the result. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Reads every page of a paginated AWS listing: `fetchPage` gets the previous page's token, none for the first. */
export async function collectPages<T>(fetchPage: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    all.push(...page.items);
    token = page.next;
  } while (token);
  return all;
}
