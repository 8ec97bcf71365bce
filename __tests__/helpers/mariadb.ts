import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql, { Connection, RowDataPacket } from 'mysql2/promise';
import { CLINIC_TABLES } from '../../contract/clinic';
import { quoteIdentifier } from '../../contract/mysql';
import { LocalMariadb, startLocalMariadb } from '../../scripts/local/mariadb';

export const SEED_DIR = join(__dirname, '..', '..', 'seed');

let databases = 0;
/** A fresh, empty database name for one test. */
export async function freshDatabase(admin: Connection): Promise<string> {
  databases += 1;
  const name = `test_${process.pid}_${databases}`;
  await admin.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
  return name;
}

/** Row count and a content checksum of every clinic table that exists, to prove "unchanged". */
export async function snapshot(connection: Connection, database: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of CLINIC_TABLES) {
    const [exists] = await connection.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [database, table.name],
    );
    if (Number(exists[0].n) === 0) continue;
    const [rows] = await connection.query<RowDataPacket[]>(`CHECKSUM TABLE ${quoteIdentifier(database)}.${quoteIdentifier(table.name)}`);
    const [count] = await connection.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM ${quoteIdentifier(database)}.${quoteIdentifier(table.name)}`,
    );
    result[table.name] = `${count[0].n}:${rows[0].Checksum}`;
  }
  return result;
}

/** A copy of the committed seed in a temp folder, with `edit` applied to one file's text. */
export function seedCopy(edits: Record<string, (text: string) => string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'seed-copy-'));
  cpSync(SEED_DIR, dir, { recursive: true });
  for (const [table, edit] of Object.entries(edits)) {
    const path = join(dir, `${table}.csv`);
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
  }
  return dir;
}

/** Replaces line `n` (1-based) of a CSV text. */
export const replaceLine = (text: string, n: number, line: string): string => {
  const lines = text.split('\n');
  lines[n - 1] = line;
  return lines.join('\n');
};

export const lineOf = (text: string, n: number): string => text.split('\n')[n - 1];

/**
 * Starts one throwaway MariaDB for the enclosing `describe` and an admin connection to it; both are closed after
 * its tests. Returns getters, since the server only exists once `beforeAll` has run.
 */
export function useLocalMariadb(): { db: () => LocalMariadb; admin: () => Connection } {
  let db: LocalMariadb;
  let admin: Connection;
  beforeAll(async () => {
    db = await startLocalMariadb();
    admin = await db.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.stop();
  });
  return { db: () => db, admin: () => admin };
}

/** Logs in to a throwaway server as `user` over TLS verified against the server's own CA, the way DMS connects. */
export function connectOverTls(db: LocalMariadb, user: string, password: string, database?: string): Promise<Connection> {
  return mysql.createConnection({
    host: db.host,
    port: db.port,
    user,
    password,
    database,
    ssl: { ca: db.caPem, rejectUnauthorized: true },
  });
}
