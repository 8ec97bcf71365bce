import { accessSync, chmodSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A regular file this process cannot read, whoever runs the tests: a file of mode 000 in `dir`, or, for root (whom
 * file modes do not stop), a write-only sysctl, whose permission check refuses reading to root too.
 */
export function unreadableFile(dir: string): string {
  const own = join(dir, 'unreadable.csv');
  writeFileSync(own, 'insid,plan\nINS1,Gold\n');
  chmodSync(own, 0o000);
  for (const path of [own, '/proc/sys/vm/drop_caches', '/proc/sys/vm/compact_memory']) {
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') return path;
    }
  }
  throw new Error('found no file this process cannot read');
}
