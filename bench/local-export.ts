import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLINIC_TABLES } from '../contract/clinic';
import { startLocalMariadb } from '../scripts/local/mariadb';
import { exportLikeDms, loadFile } from '../scripts/local/duckdb-lake';

/**
 * Benchmark of the local lake export: generates and loads a data set whose patient table has 1,000,000 rows (in
 * child processes, so their memory is not counted), then exports that table like DMS in this process and prints
 * the time and this process's peak RSS (target: under 500 MB). Usage: npm run bench:local -- [--scale N]
 */
const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');

async function main(): Promise<void> {
  const scaleIndex = process.argv.indexOf('--scale');
  const scale = scaleIndex > 0 ? Number(process.argv[scaleIndex + 1]) : 2000;
  const work = mkdtempSync(join(tmpdir(), 'bench-local-'));
  const db = await startLocalMariadb();
  try {
    await run(tsx, [join(ROOT, 'scripts', 'generate-seed.ts'), '--out', join(work, 'csv'), '--scale', String(scale)]);
    const admin = await db.connect();
    await admin.query('CREATE DATABASE unicornhealth');
    await admin.end();
    await run(
      tsx,
      [
        join(ROOT, 'scripts', 'seed.ts'),
        '--host',
        db.host,
        '--port',
        String(db.port),
        '--user',
        'root',
        '--database',
        'unicornhealth',
        '--ssl-mode',
        'DISABLED',
        '--dir',
        join(work, 'csv'),
        '--json',
      ],
      {
        env: { ...process.env, MYSQL_PWD: '' },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const rssBefore = process.resourceUsage().maxRSS;
    const source = await db.connect('unicornhealth');
    const patient = CLINIC_TABLES.filter((t) => t.name === 'patient');
    const started = Date.now();
    const counts = await exportLikeDms({ source, tables: patient, lakeDir: join(work, 'lake'), workDir: work });
    const seconds = (Date.now() - started) / 1000;
    await source.end();
    const file = loadFile(join(work, 'lake'), 'raw', 'patient');
    const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      `exported patient: ${counts.patient.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${Math.round(counts.patient / seconds).toLocaleString('en-US')} rows/s), ${(statSync(file).size / 1e6).toFixed(1)} MB of Parquet`,
    );
    console.log(`peak RSS of the exporting process: ${peakMb} MB (before the export: ${Math.round(rssBefore / 1024)} MB; target < 500 MB)`);
    console.log(JSON.stringify({ rows: counts.patient, seconds, peakRssMb: peakMb }));
  } finally {
    await db.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
