import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { TSX } from '../../helpers/cli';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('interrupts', () => {
  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s stops every registered child process and removes every temporary folder, then exits %i', async (signal, code) => {
    const holder = spawn(TSX, [join(__dirname, '..', '..', 'fixtures', 'hold-resources.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [line] = (await once(holder.stdout, 'data')) as [Buffer];
    const held = JSON.parse(line.toString()) as { folder: string; child: number };
    expect(existsSync(held.folder)).toBe(true);
    expect(alive(held.child)).toBe(true);
    holder.kill(signal);
    const [exitCode] = (await once(holder, 'exit')) as [number];
    expect(exitCode).toBe(code);
    expect(existsSync(held.folder)).toBe(false);
    // The child was signalled before the holder exited; give the kernel a moment to reap it.
    for (let i = 0; i < 50 && alive(held.child); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(held.child)).toBe(false);
  });
});
