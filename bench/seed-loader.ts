import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { CLINIC_TABLES, Column } from '../contract/clinic';
import { quoteIdentifier as q, schemaDdl } from '../contract/mysql';
import { defineCommand, exitWhenDone, runCommand } from '../scripts/cli/command';
import { temporaryDirectory } from '../scripts/cli/interrupts';
import { formatTable, left, right } from '../scripts/cli/output';
import { startLocalMariadb } from '../scripts/local/mariadb';
import { generateSeed } from '../scripts/seed/generator';
import { loadWithSeedTool, scaleOption } from './tools';

/**
 * Benchmark of the seed loader: generates a data set whose largest table has >= 1,000,000 rows, loads it into a
 * throwaway MariaDB with the loader (full validation, both staging methods, each in its own process so its peak
 * RSS is its own), then with a plain LOAD DATA LOCAL INFILE of the same files into the same schema, and prints
 * rows/s, the ratio and the peak RSS.
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

type Result = { seconds: number; rowsPerSecond: number; peakRssMb?: number };

const benchSeedCommand = defineCommand({
  name: 'bench:seed',
  description: 'Time the seed loader against a plain LOAD DATA LOCAL INFILE of the same files',
  options: (command) => command.addOption(scaleOption()),
  async run(options, { progress, width }) {
    const work = temporaryDirectory('bench-seed-');
    const db = await startLocalMariadb({ log: (line) => progress.update(line) });
    try {
      progress.update(`generating the data set at scale ${options.scale}`);
      let started = Date.now();
      const counts = await generateSeed({ outDir: work.path, scale: options.scale });
      const totalRows = Object.values(counts).reduce((a, b) => a + b, 0);
      progress.log(
        `generated ${totalRows.toLocaleString('en-US')} rows (patient ${counts.patient.toLocaleString('en-US')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const admin = await db.connect();

      const results: Record<string, Result> = {};
      for (const method of ['infile', 'insert'] as const) {
        const database = `bench_loader_${method}`;
        await admin.query(`CREATE DATABASE ${database}`);
        progress.update(`loader, --load-method ${method}`);
        started = Date.now();
        const report = await loadWithSeedTool(db, database, work.path, ['--load-method', method]);
        const seconds = (Date.now() - started) / 1000;
        results[`loader (${method})`] = { seconds, rowsPerSecond: totalRows / seconds, peakRssMb: Number(report.peakRssMb) };
      }

      progress.update('plain LOAD DATA LOCAL INFILE');
      await admin.query('CREATE DATABASE bench_plain');
      const plain = await db.connect('bench_plain');
      for (const statement of schemaDdl(CLINIC_TABLES)) await plain.query(statement);
      started = Date.now();
      for (const table of CLINIC_TABLES) {
        const path = join(work.path, `${table.name}.csv`);
        await plain.query({
          sql:
            `LOAD DATA LOCAL INFILE ${plain.escape(path)} INTO TABLE ${q(table.name)} CHARACTER SET utf8mb4 ` +
            `FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\\n' IGNORE 1 LINES ` +
            `(${table.columns.map((c) => `@${c.name}`).join(', ')}) SET ${table.columns.map(plainConversion).join(', ')}`,
          infileStreamFactory: () => createReadStream(path),
        });
      }
      const plainSeconds = (Date.now() - started) / 1000;
      results['plain LOAD DATA LOCAL INFILE'] = { seconds: plainSeconds, rowsPerSecond: totalRows / plainSeconds };
      await plain.end();
      await admin.end();

      const baseline = results['plain LOAD DATA LOCAL INFILE'].rowsPerSecond;
      const table = formatTable(
        [left('method'), right('seconds'), right('rows/s'), right('ratio'), right('peak RSS')],
        Object.entries(results).map(([name, r]) => [
          name,
          r.seconds.toFixed(1),
          Math.round(r.rowsPerSecond).toLocaleString('en-US'),
          (r.rowsPerSecond / baseline).toFixed(2),
          r.peakRssMb !== undefined ? `${r.peakRssMb} MB` : '-',
        ]),
        width,
      );
      return { ok: true, json: { scale: options.scale, totalRows, results }, text: table };
    } finally {
      await db.stop();
      work.remove();
    }
  },
});

exitWhenDone(runCommand(benchSeedCommand, process.argv.slice(2)));
