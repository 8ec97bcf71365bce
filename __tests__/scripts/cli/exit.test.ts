import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { TSX } from '../../helpers/cli';

describe('exit when done', () => {
  test('delivers the whole of a document larger than the pipe buffer before exiting', async () => {
    const size = 5_000_000;
    const child = spawn(TSX, [join(__dirname, '..', '..', 'fixtures', 'large-output.ts'), String(size)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    // Read slowly, as `| jq` on a busy machine would, so the pipe fills while the command wants to exit.
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 1);
    });
    const [code] = (await once(child, 'close')) as [number];
    expect(code).toBe(0);
    const document = JSON.parse(Buffer.concat(chunks).toString()) as { filler: string };
    expect(document.filler).toHaveLength(size);
  }, 30_000);
});
