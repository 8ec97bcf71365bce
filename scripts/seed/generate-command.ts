import { minimist } from 'zx';
import { DEFAULT_SEED, generateSeed } from './generator';

const usage = `Usage: npm run generate-seed -- --out DIR [--scale N] [--seed S]

Writes the clinic's six CSV exports (insurance, employee, patient, appointment, encounter, account) in the
export format, deterministically: the same seed and scale give the same bytes.

  --out DIR    folder to write <table>.csv into (created if missing)
  --scale N    multiply every table but insurance by N (default 1: 500 patients, 25 employees, ...)
  --seed S     random seed (default ${DEFAULT_SEED})
  --help       this text`;

const argv = minimist(process.argv.slice(2), { string: ['out'], boolean: ['help'] });
if (argv.help || !argv.out) {
  console.log(usage);
  process.exit(argv.help ? 0 : 2);
}
const started = Date.now();
generateSeed({ outDir: argv.out, scale: Number(argv.scale ?? 1), seed: Number(argv.seed ?? DEFAULT_SEED) }).then(
  (counts) => {
    for (const [table, rows] of Object.entries(counts)) console.log(`${table.padEnd(12)} ${String(rows).padStart(9)} rows`);
    console.log(`wrote ${argv.out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
