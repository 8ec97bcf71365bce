import { ensureMariadbInstalled } from '../scripts/local/mariadb';

/** The database tests need a real MariaDB server binary; install it once (as root) or say how. */
export default async function globalSetup(): Promise<void> {
  await ensureMariadbInstalled({ log: (line) => process.stderr.write(`${line}\n`) });
}
