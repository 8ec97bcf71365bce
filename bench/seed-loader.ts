import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLINIC_TABLES, Column } from '../contract/clinic';
import { quoteIdentifier as q, schemaDdl } from '../contract/mysql';
import { startLocalMariadb } from '../scripts/local/mariadb';
import { generateSeed } from '../scripts/seed/generator';

/**
 * Benchmark of the seed loader: generates a data set whose largest table has >= 1,000,000 rows, loads it into a
 * throwaway MariaDB with the loader (full validation, both staging methods, each in its own process so its peak
 * RSS is its own), then with a plain LOAD DATA LOCAL INFILE of the same files into the same schema, and prints
 * rows/s, the ratio and the peak RSS. Usage: npm run bench:seed -- [--scale N] (default 2000 = 1,000,000 patients)
 */
const run = promisify(execFile);
const ROOT = join(__dirname, '..');

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

async function main(): Promise<void> {
  const scaleIndex = process.argv.indexOf('--scale');
  const scale = scaleIndex > 0 ? Number(process.argv[scaleIndex + 1]) : 2000;
  const dir = mkdtempSync(join(tmpdir(), 'bench-seed-'));
  const db = await startLocalMariadb();
  try {
    let started = Date.now();
    const counts = await generateSeed({ outDir: dir, scale });
    const totalRows = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(
      `generated ${totalRows.toLocaleString('en-US')} rows (patient ${counts.patient.toLocaleString('en-US')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const admin = await db.connect();

    const results: Record<string, { seconds: number; rowsPerSecond: number; peakRssMb?: number }> = {};
    for (const method of ['infile', 'insert'] as const) {
      const database = `bench_loader_${method}`;
      await admin.query(`CREATE DATABASE ${database}`);
      started = Date.now();
      const { stdout } = await run(
        join(ROOT, 'node_modules', '.bin', 'tsx'),
        [
          join(ROOT, 'scripts', 'seed.ts'),
          '--host',
          db.host,
          '--port',
          String(db.port),
          '--user',
          'root',
          '--database',
          database,
          '--ssl-mode',
          'DISABLED',
          '--dir',
          dir,
          '--load-method',
          method,
          '--json',
        ],
        { env: { ...process.env, MYSQL_PWD: '' }, maxBuffer: 64 * 1024 * 1024 },
      );
      const seconds = (Date.now() - started) / 1000;
      const report = JSON.parse(stdout) as { ok: boolean; peakRssMb: number };
      if (!report.ok) throw new Error(`loader (${method}) failed: ${stdout.slice(0, 2000)}`);
      results[`loader (${method})`] = { seconds, rowsPerSecond: totalRows / seconds, peakRssMb: report.peakRssMb };
    }

    await admin.query('CREATE DATABASE bench_plain');
    const plain = await db.connect('bench_plain');
    for (const statement of schemaDdl(CLINIC_TABLES)) await plain.query(statement);
    started = Date.now();
    for (const table of CLINIC_TABLES) {
      const path = join(dir, `${table.name}.csv`);
      await plain.query({
        sql:
          `LOAD DATA LOCAL INFILE ${plain.escape(path)} INTO TABLE ${q(table.name)} CHARACTER SET utf8mb4 ` +
          `FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\\n' IGNORE 1 LINES ` +
          `(${table.columns.map((c) => `@${c.name}`).join(', ')}) SET ${table.columns.map(plainConversion).join(', ')}`,
        infileStreamFactory: () => require('node:fs').createReadStream(path),
      });
    }
    const plainSeconds = (Date.now() - started) / 1000;
    results['plain LOAD DATA LOCAL INFILE'] = { seconds: plainSeconds, rowsPerSecond: totalRows / plainSeconds };
    await plain.end();
    await admin.end();

    console.log('\nmethod                          seconds      rows/s   ratio   peak RSS');
    const baseline = results['plain LOAD DATA LOCAL INFILE'].rowsPerSecond;
    for (const [name, r] of Object.entries(results)) {
      console.log(
        `${name.padEnd(30)} ${r.seconds.toFixed(1).padStart(8)} ${Math.round(r.rowsPerSecond).toLocaleString('en-US').padStart(11)} ` +
          `${(r.rowsPerSecond / baseline).toFixed(2).padStart(7)} ${r.peakRssMb !== undefined ? `${r.peakRssMb} MB`.padStart(10) : '         -'}`,
      );
    }
    console.log(JSON.stringify({ scale, totalRows, results }));
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
