import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Processes whose command line mentions `text` (for example a private TMPDIR), as `pid command`. */
export function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.some((arg) => arg.includes(text))) found.push(`${pid} ${args.join(' ').slice(0, 300)}`);
    } catch {
      // It exited while we looked.
    }
  }
  return found;
}

/** Probes until `done` holds or `timeoutMs` passes; returns the last value, for the assertion to show. */
export async function eventually<T>(probe: () => T, done: (value: T) => boolean, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

/** Waits until no process mentions `text`; returns what is still running then (empty when all are gone). */
export const processesLeft = (text: string, timeoutMs: number): Promise<string[]> =>
  eventually(
    () => processesMentioning(text),
    (found) => found.length === 0,
    timeoutMs,
  );
