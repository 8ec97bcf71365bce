import { spawnSync } from 'node:child_process';
import { Server, createServer } from 'node:net';
import { canConnect, processAlive, waitForPort } from '../../../scripts/github/port-forward';

const listen = (): Promise<{ server: Server; port: number }> =>
  new Promise((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const { server, port } = await listen();
  await close(server);
  return port;
}

describe('waiting for a port forward', () => {
  test('a listening port is found at once', async () => {
    const { server, port } = await listen();
    try {
      expect(await canConnect('127.0.0.1', port)).toBe(true);
      const outcome = await waitForPort({ host: '127.0.0.1', port, timeoutMs: 5_000 });
      expect(outcome.listening).toBe(true);
    } finally {
      await close(server);
    }
  });

  test('a port that opens a moment later is waited for', async () => {
    const port = await freePort();
    let server: Server | undefined;
    const later = setTimeout(() => {
      server = createServer((socket) => socket.end()).listen(port, '127.0.0.1');
    }, 300);
    try {
      const outcome = await waitForPort({ host: '127.0.0.1', port, timeoutMs: 10_000, intervalMs: 100 });
      expect(outcome).toMatchObject({ listening: true });
      expect(outcome.waitedMs).toBeGreaterThanOrEqual(200);
    } finally {
      clearTimeout(later);
      if (server) await close(server);
    }
  });

  test('gives up at the deadline (bounded)', async () => {
    let clock = 0;
    const outcome = await waitForPort({
      host: '127.0.0.1',
      port: 1,
      timeoutMs: 60_000,
      probe: async () => false,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    expect(outcome).toEqual({ listening: false, waitedMs: 60_000, reason: 'timeout' });
  });

  test('stops as soon as the process that should listen has exited', async () => {
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(processAlive(exited)).toBe(false);
    expect(processAlive(process.pid)).toBe(true);
    const outcome = await waitForPort({ host: '127.0.0.1', port: await freePort(), timeoutMs: 30_000, pid: exited });
    expect(outcome).toMatchObject({ listening: false, reason: 'process exited' });
    expect(outcome.waitedMs).toBeLessThan(5_000);
  });
});
