import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CLINIC_TABLES } from '../contract/clinic';
import { SOURCE_SCHEMA } from '../contract/lake';
import { defineCommand, exitWhenDone, runCommand } from '../scripts/cli/command';
import { temporaryDirectory } from '../scripts/cli/interrupts';
import { startLocalMariadb } from '../scripts/local/mariadb';
import { exportLikeDms, loadFile } from '../scripts/local/duckdb-lake';
import { loadWithSeedTool, runToolChild, scaleOption } from './tools';

/**
 * Benchmark of the local lake export: generates and loads a data set whose patient table has 1,000,000 rows (in
 * child processes, so their memory is not counted), then exports that table like DMS in this process and prints
 * the time and this process's peak RSS (target: under 500 MB).
 */
const benchLocalCommand = defineCommand({
  name: 'bench:local',
  description: 'Time the DMS-like Parquet export of a large patient table and measure its peak memory',
  options: (command) => command.addOption(scaleOption()),
  async run(options, { progress }) {
    const work = temporaryDirectory('bench-local-');
    const db = await startLocalMariadb({ log: (line) => progress.update(line) });
    try {
      progress.update(`generating the data set at scale ${options.scale}`);
      await runToolChild('generate-seed', ['--out', join(work.path, 'csv'), '--scale', String(options.scale)]);
      const admin = await db.connect();
      await admin.query(`CREATE DATABASE ${SOURCE_SCHEMA}`);
      await admin.end();
      progress.update('loading it with the seed loader');
      await loadWithSeedTool(db, SOURCE_SCHEMA, join(work.path, 'csv'));
      const rssBefore = process.resourceUsage().maxRSS;
      const source = await db.connect(SOURCE_SCHEMA);
      const patient = CLINIC_TABLES.filter((t) => t.name === 'patient');
      progress.update('exporting patient like DMS');
      const started = Date.now();
      const counts = await exportLikeDms({ source, tables: patient, lakeDir: join(work.path, 'lake'), workDir: work.path });
      const seconds = (Date.now() - started) / 1000;
      await source.end();
      const parquetMb = statSync(loadFile(join(work.path, 'lake'), 'raw', 'patient')).size / 1e6;
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      return {
        ok: true,
        json: { rows: counts.patient, seconds, parquetMb, peakRssMb, rssBeforeMb: Math.round(rssBefore / 1024) },
        text: [
          `exported patient: ${counts.patient.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${Math.round(counts.patient / seconds).toLocaleString('en-US')} rows/s), ${parquetMb.toFixed(1)} MB of Parquet`,
          `peak RSS of the exporting process: ${peakRssMb} MB (before the export: ${Math.round(rssBefore / 1024)} MB; target < 500 MB)`,
        ].join('\n'),
      };
    } finally {
      await db.stop();
      work.remove();
    }
  },
});

exitWhenDone(runCommand(benchLocalCommand, process.argv.slice(2)));
