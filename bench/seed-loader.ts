import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { CLINIC_TABLES, Column, Table } from '../contract/clinic';
import { quoteIdentifier as q, schemaDdl } from '../contract/mysql';
import { defineCommand, exitWhenDone, runCommand } from '../scripts/cli/command';
import { temporaryDirectory } from '../scripts/cli/interrupts';
import { formatTable, left, right } from '../scripts/cli/output';
import { startLocalMariadb } from '../scripts/local/mariadb';
import { generateSeed } from '../scripts/seed/generator';
import { loadWithSeedTool, scaleOption, settleServer } from './tools';

/**
 * Benchmark of the seed loader: generates a data set (scale 4000: 2,000,000 patients, 4.5 million rows), loads it into
 * a throwaway MariaDB with the loader (full validation; on this thread and on validation threads; LOAD DATA and
 * INSERTs; each run in its own process so that its peak RSS is its own), then with a plain LOAD DATA LOCAL INFILE of
 * the same files into the same schema, with the type conversions in SET, once with the server's foreign-key and
 * unique checks and once without: the fastest correct server-side load. Prints rows/s, the ratio against each
 * baseline and the peak RSS, and compares CHECKSUM TABLE of every loaded table with the fastest baseline's.
 */

/** How a plain LOAD DATA turns one export column into the typed column (the loader does this with validation). */
function plainConversion(column: Column): string {
  const variable = `@${column.name}`;
  switch (column.csv.kind) {
    case 'date-mdy':
      return `${q(column.name)} = STR_TO_DATE(${variable}, '%c/%e/%Y')`;
    case 'time-12h':
      return `${q(column.name)} = TIME(STR_TO_DATE(${variable}, '%l:%i %p'))`;
    case 'money':
      return `${q(column.name)} = REPLACE(REPLACE(${variable}, '$', ''), ',', '')`;
    default:
      return `${q(column.name)} = ${variable}`;
  }
}

/** Loads each table's export with one LOAD DATA LOCAL INFILE; returns the seconds the loads took. */
async function plainLoad(connection: Connection, dir: string, tables: readonly Table[], serverChecks: boolean): Promise<number> {
  // The whole contract's schema, as the loader creates it.
  for (const statement of schemaDdl(CLINIC_TABLES)) await connection.query(statement);
  if (!serverChecks) await connection.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
  const started = Date.now();
  for (const table of tables) {
    const path = join(dir, `${table.name}.csv`);
    await connection.query({
      sql:
        `LOAD DATA LOCAL INFILE ${connection.escape(path)} INTO TABLE ${q(table.name)} CHARACTER SET utf8mb4 ` +
        `FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\\n' IGNORE 1 LINES ` +
        `(${table.columns.map((c) => `@${c.name}`).join(', ')}) SET ${table.columns.map(plainConversion).join(', ')}`,
      infileStreamFactory: () => createReadStream(path),
    });
  }
  return (Date.now() - started) / 1000;
}

/**
 * CPU seconds the throwaway server has used so far (all its threads), found as the process started with its port: a
 * bulk load keeps more than one core busy, which is what the loader's own CPU competes with on a small machine.
 */
function serverCpuSeconds(port: number): number {
  for (const pid of readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--port=${port}`)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [utime, stime] = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .slice(11, 13)
        .map(Number);
      return (utime + stime) / 100;
    } catch {
      // The process ended while it was read.
    }
  }
  return Number.NaN;
}

/** CHECKSUM TABLE of each of `tables` in a database. */
async function checksums(admin: Connection, database: string, tables: readonly Table[]): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const table of tables) {
    const [rows] = await admin.query<RowDataPacket[]>(`CHECKSUM TABLE ${q(database)}.${q(table.name)}`);
    found[table.name] = String(rows[0].Checksum);
  }
  return found;
}

interface Run {
  readonly name: string;
  readonly database: string;
  /** The load alone: the LOAD DATA statements of a baseline, `loadClinicData` of the loader (its own report). */
  readonly seconds: number;
  /** The loader's whole process: start-up, connecting and exiting too. */
  readonly processSeconds?: number;
  readonly serverCpuSeconds: number;
  readonly loaderCpuSeconds?: number;
  readonly peakRssMb?: number;
}

const LOADER_RUNS = [
  { name: 'loader, validation on the main thread', database: 'bench_loader_main_thread', args: ['--threads', '0'] },
  { name: 'loader, default (a thread per core but one)', database: 'bench_loader_default', args: [] },
  { name: 'loader, 2 validation threads', database: 'bench_loader_2_threads', args: ['--threads', '2'] },
  { name: 'loader, --load-method insert', database: 'bench_loader_insert', args: ['--load-method', 'insert'] },
] as const;

const benchSeedCommand = defineCommand({
  name: 'bench:seed',
  description: 'Time the seed loader against plain LOAD DATA LOCAL INFILE of the same files, with and without server checks',
  options: (command) => command.addOption(scaleOption(4000)),
  async run(options, { progress, width }) {
    const work = temporaryDirectory('bench-seed-');
    const db = await startLocalMariadb({ log: (line) => progress.update(line) });
    try {
      progress.update(`generating the data set at scale ${options.scale}`);
      let started = Date.now();
      const counts = await generateSeed({ outDir: work.path, scale: options.scale });
      const totalRows = Object.values(counts).reduce((a, b) => a + b, 0);
      // The exported tables: the platform's own (the smoke probe) have no file.
      const tables = CLINIC_TABLES.filter((t) => counts[t.name] !== undefined);
      progress.log(
        `generated ${totalRows.toLocaleString('en-US')} rows (patient ${counts.patient.toLocaleString('en-US')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const admin = await db.connect();
      const quiet = async (): Promise<void> => {
        const settled = await settleServer(admin);
        if (settled.dirtyPages > 0)
          progress.log(
            `the server still had ${settled.dirtyPages} dirty pages after ${settled.seconds.toFixed(0)} s; timing the next load anyway`,
          );
      };

      const baselines: Run[] = [];
      const baselineChecksums: Record<string, Record<string, string>> = {};
      for (const serverChecks of [true, false]) {
        const database = serverChecks ? 'bench_plain_checks' : 'bench_plain_no_checks';
        const name = `LOAD DATA LOCAL, typed SET, server checks ${serverChecks ? 'on' : 'off'}`;
        await admin.query(`CREATE DATABASE ${database}`);
        await quiet();
        progress.update(name);
        const plain = await db.connect(database);
        const serverCpu = serverCpuSeconds(db.port);
        try {
          const seconds = await plainLoad(plain, work.path, tables, serverChecks);
          baselines.push({ name, database, seconds, serverCpuSeconds: serverCpuSeconds(db.port) - serverCpu });
        } finally {
          await plain.end();
        }
        baselineChecksums[database] = await checksums(admin, database, tables);
      }
      const fastest = baselines.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const expected = baselineChecksums[fastest.database];
      const differences: string[] = [];
      const compare = (run: Run, found: Record<string, string>): void => {
        for (const table of tables) {
          if (found[table.name] !== expected[table.name])
            differences.push(`${run.name}: ${table.name} ${found[table.name]} != ${expected[table.name]}`);
        }
      };
      for (const baseline of baselines) {
        compare(baseline, baselineChecksums[baseline.database]);
        await admin.query(`DROP DATABASE ${baseline.database}`);
      }

      const runs: Run[] = [];
      for (const { name, database, args } of LOADER_RUNS) {
        await admin.query(`CREATE DATABASE ${database}`);
        await quiet();
        progress.update(name);
        started = Date.now();
        const serverCpu = serverCpuSeconds(db.port);
        const report = await loadWithSeedTool(db, database, work.path, args);
        const run: Run = {
          name,
          database,
          seconds: Number(report.seconds),
          processSeconds: (Date.now() - started) / 1000,
          serverCpuSeconds: serverCpuSeconds(db.port) - serverCpu,
          loaderCpuSeconds: Number(report.cpuSeconds),
          peakRssMb: Number(report.peakRssMb),
        };
        runs.push(run);
        compare(run, await checksums(admin, database, tables));
        await admin.query(`DROP DATABASE ${database}`);
      }
      await admin.end();

      const rate = (run: Run): number => totalRows / run.seconds;
      const [withChecks, withoutChecks] = baselines;
      const table = formatTable(
        [
          left('method'),
          right('seconds'),
          right('rows/s'),
          right('vs checks on'),
          right('vs checks off'),
          right('process s'),
          right('server CPU s'),
          right('loader CPU s'),
          right('peak RSS'),
        ],
        [...baselines, ...runs].map((run) => [
          run.name,
          run.seconds.toFixed(1),
          Math.round(rate(run)).toLocaleString('en-US'),
          (rate(run) / rate(withChecks)).toFixed(2),
          (rate(run) / rate(withoutChecks)).toFixed(2),
          run.processSeconds !== undefined ? run.processSeconds.toFixed(1) : '-',
          run.serverCpuSeconds.toFixed(1),
          run.loaderCpuSeconds !== undefined ? run.loaderCpuSeconds.toFixed(1) : '-',
          run.peakRssMb !== undefined ? `${run.peakRssMb} MB` : '-',
        ]),
        width,
      );
      const verdict =
        differences.length === 0
          ? `CHECKSUM TABLE: all ${tables.length} tables of every run equal those of the fastest baseline (${fastest.name})`
          : `CHECKSUM TABLE differs from the fastest baseline (${fastest.name}):\n${differences.join('\n')}`;
      return {
        ok: differences.length === 0,
        json: { scale: options.scale, totalRows, baselines, runs, fastestBaseline: fastest.name, checksums: expected, differences },
        text: `${table}\n${verdict}`,
      };
    } finally {
      await db.stop();
      work.remove();
    }
  },
});

exitWhenDone(runCommand(benchSeedCommand, process.argv.slice(2)));
