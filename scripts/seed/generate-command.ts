import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { defineCommand } from '../cli/command';
import { InputError } from '../cli/errors';
import { integer } from '../cli/options';
import { formatTable, left, right } from '../cli/output';
import { registerCleanup } from '../cli/interrupts';
import { DEFAULT_SEED, MAX_SCALE, generateSeed } from './generator';

/**
 * Creates the output folder if needed and proves it is writable before any work starts. Each missing level is made
 * one at a time: `mkdirSync(..., { recursive: true })` never returns on some pseudo file systems (`/proc/x`).
 */
function writableFolder(path: string): string {
  const missing: string[] = [];
  let existing = resolve(path);
  while (!existsSync(existing)) {
    missing.unshift(existing);
    existing = dirname(existing);
  }
  try {
    for (const folder of missing) mkdirSync(folder);
    accessSync(path, constants.W_OK);
    return path;
  } catch (error) {
    throw new InputError(`--out ${path}: cannot write there (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export const command = defineCommand({
  name: 'generate-seed',
  description: "Write the clinic's six CSV exports deterministically from the data contract",
  options: (command) =>
    command
      .addOption(new Option('--out <dir>', 'folder to write <table>.csv into (created if missing)').makeOptionMandatory())
      .addOption(
        new Option('--scale <n>', 'multiply every table but insurance by N (1: 500 patients, 25 employees, ...)')
          .default(1)
          .argParser(integer({ min: 1, max: MAX_SCALE })),
      )
      .addOption(new Option('--seed <n>', 'random seed').default(DEFAULT_SEED).argParser(integer({ min: 0, max: 2 ** 31 - 1 }))),
  help: `
The same seed and scale give the same bytes. Files appear only when all of them are complete: they are written to a
temporary folder inside --out and moved into place at the end.`,
  async run(options, { progress, width }) {
    const out = writableFolder(options.out);
    const staging = mkdtempSync(join(out, '.generate-seed-'));
    const removeStaging = (): void => rmSync(staging, { recursive: true, force: true });
    const unregister = registerCleanup(`remove ${staging}`, removeStaging, removeStaging);
    try {
      progress.update(`generating at scale ${options.scale}`);
      const counts = await generateSeed({ outDir: staging, scale: options.scale, seed: options.seed });
      for (const name of readdirSync(staging)) renameSync(join(staging, name), join(out, name));
      const rows = Object.entries(counts).map(([table, count]) => [table, count.toLocaleString('en-US')]);
      return {
        ok: true,
        json: { out, scale: options.scale, seed: options.seed, rows: counts, seconds: progress.seconds() },
        text: `${formatTable([left('table'), right('rows')], rows, width)}\nwrote ${out} in ${progress.elapsed()}`,
      };
    } finally {
      unregister();
      removeStaging();
    }
  },
});
