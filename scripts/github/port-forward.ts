import { Socket, connect } from 'node:net';

/** Opens a TCP connection and closes it again: whether something listens at `host:port`. */
export function canConnect(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host, port });
    const done = (listening: boolean): void => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether a process still runs (signal 0 tests for it without touching it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface WaitForPortOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  /** Polling interval. @default 500 */
  readonly intervalMs?: number;
  /** The process that should open the port (the Session Manager session): stop early when it has exited. */
  readonly pid?: number;
  readonly probe?: (host: string, port: number) => Promise<boolean>;
  readonly alive?: (pid: number) => boolean;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type WaitOutcome =
  | { readonly listening: true; readonly waitedMs: number }
  | { readonly listening: false; readonly waitedMs: number; readonly reason: 'timeout' | 'process exited' };

/**
 * Waits, bounded, until `host:port` accepts connections: a port forward is usable only once its local listener is
 * up, which takes the Session Manager plugin a few seconds after it starts. Gives up at the deadline, or as soon
 * as the process that should listen has exited.
 */
export async function waitForPort(options: WaitForPortOptions): Promise<WaitOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const probe = options.probe ?? canConnect;
  const alive = options.alive ?? processAlive;
  const started = now();
  for (;;) {
    if (await probe(options.host, options.port)) return { listening: true, waitedMs: now() - started };
    if (options.pid !== undefined && !alive(options.pid)) return { listening: false, waitedMs: now() - started, reason: 'process exited' };
    if (now() - started >= options.timeoutMs) return { listening: false, waitedMs: now() - started, reason: 'timeout' };
    await sleep(Math.min(options.intervalMs ?? 500, Math.max(0, options.timeoutMs - (now() - started))));
  }
}
