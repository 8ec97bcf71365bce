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

export interface PollOptions extends BackoffOptions {
  readonly clock: Clock;
  readonly deadline: Deadline;
  /** What is being waited for, named in the deadline error. */
  readonly what: string;
}

/**
 * Polls `probe` until it returns a value (not undefined), sleeping with capped exponential backoff and jitter
 * between tries; the deadline ends the wait with `DeadlineExceeded`. Transient errors of the AWS calls inside the
 * probe are retried by the SDK clients themselves (`SDK_RETRY`), not here.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    options.deadline.check(options.what);
    const result = await probe();
    if (result !== undefined) return result;
    options.deadline.check(options.what);
    await options.clock.sleep(Math.max(1, Math.min(backoffDelay(Math.min(attempt, 10), options), options.deadline.remaining())));
    options.deadline.check(options.what);
  }
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the input order in the result. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
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

/** Every item of a paginated AWS listing (an SDK paginator), checking the deadline between pages. */
export async function collectAll<Page, Item>(
  pages: AsyncIterable<Page>,
  items: (page: Page) => Item[] | undefined,
  deadline: Deadline,
  what: string,
): Promise<Item[]> {
  const all: Item[] = [];
  for await (const page of pages) {
    deadline.check(what);
    all.push(...(items(page) ?? []));
  }
  return all;
}
