import { Deadline, backoffDelay, isTransient, mapConcurrent, withRetry } from '../../../scripts/smoke/waiting';
import { VirtualClock } from '../../helpers/smoke';

describe('waiting: backoff, retries, deadlines, bounded concurrency', () => {
  test.each([
    [0, 1000],
    [3, 8000],
    [10, 30000],
  ])('attempt %i waits at most %i ms (capped exponential)', (attempt, ceiling) => {
    expect(backoffDelay(attempt, { random: () => 0.999999 })).toBe(ceiling);
    expect(backoffDelay(attempt, { random: () => 0 })).toBe(0);
  });

  test.each([
    [{ name: 'ThrottlingException' }, true],
    [{ name: 'TooManyRequestsException' }, true],
    [{ name: 'InternalServerException', $metadata: { httpStatusCode: 500 } }, true],
    [{ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }, false],
    [{ name: 'InvalidRequestException', $metadata: { httpStatusCode: 400 } }, false],
  ])('%j is transient: %s', (error, transient) => {
    expect(isTransient(error)).toBe(transient);
  });

  test('retries stop after the bounded number of attempts', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const work = async (): Promise<never> => {
      calls += 1;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };
    await expect(withRetry(work, { clock, deadline: Deadline.in(clock, 3_600_000), attempts: 4, what: 'x' })).rejects.toThrow(
      'Rate exceeded',
    );
    expect(calls).toBe(4);
  });

  test('a permanent error is not retried', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const work = async (): Promise<never> => {
      calls += 1;
      throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    };
    await expect(withRetry(work, { clock, deadline: Deadline.in(clock, 60_000), what: 'x' })).rejects.toThrow('denied');
    expect(calls).toBe(1);
  });

  test('never more than the limit run at once, and results keep their order', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapConcurrent([5, 1, 4, 2, 3, 6, 7], 3, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running -= 1;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 60, 70]);
    expect(peak).toBe(3);
  });
});
