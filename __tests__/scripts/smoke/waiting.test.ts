import { Deadline, backoffDelay, mapConcurrent, pollUntil } from '../../../scripts/smoke/waiting';
import { VirtualClock } from '../../helpers/smoke';

describe('waiting: backoff, polls with deadlines, bounded concurrency', () => {
  test('a poll waits with backoff until the probe answers', async () => {
    const clock = new VirtualClock();
    let probes = 0;
    const answer = await pollUntil(async () => (++probes === 4 ? 'done' : undefined), {
      clock,
      deadline: Deadline.in(clock, 60_000),
      what: 'x',
      random: () => 1,
    });
    expect(answer).toBe('done');
    expect(clock.slept).toEqual([1000, 2000, 4000]);
  });

  test('a poll past its deadline stops, naming what it waited for', async () => {
    const clock = new VirtualClock();
    await expect(pollUntil(async () => undefined, { clock, deadline: Deadline.in(clock, 10_000), what: 'the crawler' })).rejects.toThrow(
      'deadline exceeded while the crawler',
    );
    expect(clock.now() - 1_700_000_000_000).toBeLessThanOrEqual(10_000);
  });

  test.each([
    [0, 1000],
    [3, 8000],
    [10, 30000],
  ])('attempt %i waits at most %i ms (capped exponential)', (attempt, ceiling) => {
    expect(backoffDelay(attempt, { random: () => 0.999999 })).toBe(ceiling);
    expect(backoffDelay(attempt, { random: () => 0 })).toBe(0);
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
