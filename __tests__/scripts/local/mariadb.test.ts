import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MariadbMissingError, ensureMariadbInstalled } from '../../../scripts/local/mariadb';

describe('finding MariaDB', () => {
  test('where it is missing and cannot be installed, the error gives the exact install command', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-mariadb-'));
    const attempt = ensureMariadbInstalled({ searchDirs: [empty], canInstall: false });
    await expect(attempt).rejects.toThrow(MariadbMissingError);
    await expect(ensureMariadbInstalled({ searchDirs: [empty], canInstall: false })).rejects.toThrow(
      'MariaDB is not installed. Install it with: apt-get update && apt-get install -y mariadb-server',
    );
  });

  test('where it is installed, nothing is installed again', async () => {
    await expect(ensureMariadbInstalled({ canInstall: false })).resolves.toBeUndefined();
  });
});
