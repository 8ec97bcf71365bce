import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { Table } from '../../contract/clinic';
import { quoteIdentifier as q } from '../../contract/mysql';
import { InputError } from '../cli/errors';
import { registerCleanup } from '../cli/interrupts';
import { mysqlDialect } from '../smoke/checksum';
import {
  ExportOptions,
  changeLogColumnsSql,
  copyToParquet,
  mappedTables,
  scratchDuckdb,
  sqlString,
  streamIntoDuckdb,
  tableFolder,
} from './duckdb-lake';

/**
 * Change capture for the rehearsal, standing in for DMS reading the binary log: AFTER INSERT/UPDATE/DELETE triggers
 * write every row change into one table, whose AUTO_INCREMENT id numbers the changes in the order they were made.
 * The change script runs on one session, one statement after another, so that order is the commit order. The
 * triggers write inside the changing transaction, so InnoDB rolls their rows back with it: a rolled-back transaction
 * leaves nothing, exactly as it leaves nothing in the binary log.
 */
export const CHANGE_TABLE = 'rehearsal_change_log';

/** The three row events, each with the image DMS writes: the new row, or for a delete the old one. */
const EVENTS = [
  { op: 'I', event: 'INSERT', image: 'NEW' },
  { op: 'U', event: 'UPDATE', image: 'NEW' },
  { op: 'D', event: 'DELETE', image: 'OLD' },
] as const;

const triggerName = (table: Table, event: string): string => `rehearsal_${table.name}_${event.toLowerCase()}`;

/**
 * Refuses Amazon RDS (its binaries under /rdsdbbin, or its `mysql.rds_set_configuration` procedure): the rehearsal
 * loads seed rows, changes rows and creates triggers, which it must never do to the clinic's real database.
 */
export async function refuseRds(connection: Connection): Promise<void> {
  const [[server]] = await connection.query<RowDataPacket[]>(
    "SELECT @@basedir LIKE '/rdsdbbin/%' OR EXISTS (SELECT 1 FROM information_schema.ROUTINES " +
      "WHERE ROUTINE_SCHEMA = 'mysql' AND ROUTINE_NAME = 'rds_set_configuration') AS rds",
  );
  if (Number(server.rds) === 1)
    throw new InputError(
      'the server is Amazon RDS: the rehearsal loads seed rows, changes rows and creates triggers, which it never does on RDS; use a server of your own',
    );
}

/** The trigger that records one event of one table, with the row image as JSON text in the form the exports write. */
function triggerSql(table: Table, { op, event, image }: (typeof EVENTS)[number]): string {
  const values = table.columns.map((c) => `${sqlString(c.name)}, ${mysqlDialect.canonical(`${image}.${q(c.name)}`, c.type)}`);
  return (
    `CREATE TRIGGER ${q(triggerName(table, event))} AFTER ${event} ON ${q(table.name)} FOR EACH ROW ` +
    `INSERT INTO ${q(CHANGE_TABLE)} (table_name, op, changed_at, row_image) ` +
    `VALUES (${sqlString(table.name)}, '${op}', UTC_TIMESTAMP(6), JSON_OBJECT(${values.join(', ')}))`
  );
}

export interface ChangeCapture {
  /** How many captured changes a session sees (committed ones, plus its own uncommitted ones). */
  readonly count: (session: Connection) => Promise<number>;
  /** Drops the triggers and the change table. */
  readonly remove: () => Promise<void>;
}

/**
 * Creates the change table and the triggers of every table the DMS mappings select, on the rehearsal's own database
 * (never RDS: refused first). Leftovers of an interrupted run are dropped first; an interrupt now drops them too.
 */
export async function installChangeCapture(connection: Connection, tables: readonly Table[]): Promise<ChangeCapture> {
  await refuseRds(connection);
  const captured = mappedTables(tables);
  const names = new Set(captured.flatMap((table) => EVENTS.map(({ event }) => triggerName(table, event))));
  // Only the triggers that exist are dropped: each DROP TRIGGER is DDL, and a fresh database has none.
  const dropAll = async (): Promise<void> => {
    const [existing] = await connection.query<RowDataPacket[]>(
      'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()',
    );
    for (const { name } of existing) if (names.has(String(name))) await connection.query(`DROP TRIGGER ${q(String(name))}`);
    await connection.query(`DROP TABLE IF EXISTS ${q(CHANGE_TABLE)}`);
  };
  await dropAll();
  const unregister = registerCleanup(`drop the change-capture triggers`, dropAll, () => undefined);
  await connection.query(
    `CREATE TABLE ${q(CHANGE_TABLE)} (change_id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, table_name VARCHAR(64) NOT NULL, ` +
      'op CHAR(1) NOT NULL, changed_at DATETIME(6) NOT NULL, row_image LONGTEXT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
  );
  for (const table of captured) for (const event of EVENTS) await connection.query(triggerSql(table, event));
  return {
    count: async (session) => {
      const [[{ n }]] = await session.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${q(CHANGE_TABLE)}`);
      return Number(n);
    },
    remove: async () => {
      unregister();
      await dropAll();
    },
  };
}

/** The changes of one table in the change log, and the CDC files that hold them. */
export interface CapturedChanges {
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
  /** File names, in the order DMS wrote them. */
  readonly files: readonly string[];
}

/** DMS's name for a CDC file, the time it was written: `yyyyMMdd-HHmmssSSS.parquet` (UTC). */
export function cdcFileName(writtenAt: number): string {
  const iso = new Date(writtenAt).toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}${iso.slice(20, 23)}.parquet`;
}

/**
 * Exports the captured changes the way DMS writes CDC files: beside each table's full load, files named by time,
 * each with `changesPerFile` changes at most (DMS cuts files by time and size; a count keeps the rehearsal
 * deterministic). Every row carries the operation, the commit time and the change sequence, then the row image.
 * The sequence is DMS's `$AR_H_CHANGE_SEQ` shape: the 16-digit commit time `yyyyMMddHHmmssSS` and the change number
 * padded to 19 digits, 35 digits that grow strictly in commit order across all tables. A trigger cannot see the
 * commit, so a change's commit time is the time it was made, never earlier than the change before it (a clock step
 * back cannot reorder the sequence). Rows stream from MySQL into a disk-backed DuckDB, so memory stays bounded.
 */
export async function exportChangesLikeDms(
  options: ExportOptions & { readonly changesPerFile?: number },
): Promise<Record<string, CapturedChanges>> {
  const rawPrefix = options.rawPrefix ?? 'raw';
  const changesPerFile = options.changesPerFile ?? 10_000;
  const { duck, close } = await scratchDuckdb(options.workDir, 'changes');
  const changes: Record<string, CapturedChanges> = {};
  try {
    await streamIntoDuckdb(
      options.source,
      `SELECT change_id, table_name, op, DATE_FORMAT(changed_at, '%Y-%m-%d %H:%i:%s.%f'), row_image FROM ${q(CHANGE_TABLE)} ORDER BY change_id`,
      duck,
      'captured',
      ['change_id', 'table_name', 'op', 'changed_at', 'row_image'],
    );
    await duck.run(
      'CREATE TABLE change_log AS SELECT CAST(change_id AS UBIGINT) AS change_id, table_name, op, row_image, ' +
        'max(CAST(changed_at AS TIMESTAMP)) OVER (ORDER BY CAST(change_id AS UBIGINT) ROWS UNBOUNDED PRECEDING) AS commit_time, ' +
        `(row_number() OVER (PARTITION BY table_name ORDER BY CAST(change_id AS UBIGINT)) - 1) // ${changesPerFile} AS batch FROM captured`,
    );
    const dms = {
      operation: 'op',
      commitTime: "strftime(commit_time, '%Y-%m-%d %H:%M:%S.%f')",
      changeSequence:
        "strftime(commit_time, '%Y%m%d%H%M%S') || substr(strftime(commit_time, '%f'), 1, 2) || lpad(CAST(change_id AS VARCHAR), 19, '0')",
    };
    for (const table of mappedTables(options.tables)) {
      const ofTable = `table_name = ${sqlString(table.name)}`;
      const batches = (
        await duck.runAndReadAll(
          `SELECT batch, epoch_ms(max(commit_time)) AS written, count(*) FILTER (WHERE op = 'I') AS inserts, ` +
            `count(*) FILTER (WHERE op = 'U') AS updates, count(*) FILTER (WHERE op = 'D') AS deletes ` +
            `FROM change_log WHERE ${ofTable} GROUP BY batch ORDER BY batch`,
        )
      ).getRowObjects();
      const columns = changeLogColumnsSql(table, dms, (c) => `json_extract_string(row_image, ${sqlString(`$."${c.name}"`)})`);
      const files: string[] = [];
      let lastWritten = 0;
      for (const batch of batches) {
        // Names must differ even when two files are written within one millisecond.
        lastWritten = Math.max(Number(batch.written), lastWritten + 1);
        const file = cdcFileName(lastWritten);
        const select = `SELECT ${columns} FROM change_log WHERE ${ofTable} AND batch = ${Number(batch.batch)} ORDER BY change_id`;
        await copyToParquet(duck, select, join(tableFolder(options.lakeDir, rawPrefix, table.name), file));
        files.push(file);
      }
      const total = (kind: 'inserts' | 'updates' | 'deletes'): number => batches.reduce((sum, b) => sum + Number(b[kind]), 0);
      changes[table.name] = { inserts: total('inserts'), updates: total('updates'), deletes: total('deletes'), files };
      options.onTable?.(table.name, total('inserts') + total('updates') + total('deletes'));
    }
  } finally {
    close();
  }
  return changes;
}
