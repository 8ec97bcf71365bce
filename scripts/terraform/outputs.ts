import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { environments } from '../../config/environments';
import { EnvironmentError, InputError, UsageError } from '../cli/errors';

/** `terraform output -json`: every output by name. */
export type Outputs = Record<string, { value: unknown }>;

/** The synthesized stack folder of an environment named in config. */
export function stackDirectory(environment: string): string {
  const config = environments.find((e) => e.name === environment);
  if (!config)
    throw new UsageError(`--env ${environment} is not an environment (environments: ${environments.map((e) => e.name).join(', ')})`);
  return join('cdktf.out', 'stacks', `${config.project}-${config.name}`);
}

/**
 * The Terraform outputs of an environment: a saved `terraform output -json` file, or `terraform output -json` of the
 * environment's synthesized and deployed stack.
 */
export async function readTerraformOutputs(source: { readonly outputsFile?: string; readonly environment: string }): Promise<Outputs> {
  if (source.outputsFile) {
    try {
      return JSON.parse(readFileSync(source.outputsFile, 'utf8')) as Outputs;
    } catch (error) {
      throw new InputError(`--outputs ${source.outputsFile}: not the JSON of terraform output -json (${(error as Error).message})`);
    }
  }
  const stack = stackDirectory(source.environment);
  const result = await $({ quiet: true, nothrow: true })`terraform -chdir=${stack} output -json`;
  if (result.exitCode !== 0) {
    throw new EnvironmentError(
      `cannot read the Terraform outputs of ${stack}: ${result.stderr.trim() || 'run npm run synth, terraform init and deploy first'}`,
    );
  }
  return JSON.parse(result.stdout) as Outputs;
}

/** One output's value as text; a missing output is named. */
export function output(outputs: Outputs, name: string): string {
  const value = outputs[name]?.value;
  if (value === undefined || value === null || value === '') throw new InputError(`Terraform output ${name} is missing`);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One output whose value is a map of names (such as `glue_crawler_names`); a missing or malformed output is named. */
export function outputMap(outputs: Outputs, name: string): Record<string, string> {
  const value = outputs[name]?.value;
  if (value === undefined || value === null) throw new InputError(`Terraform output ${name} is missing`);
  const entries = typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
  if (entries.length === 0 || entries.some(([, v]) => typeof v !== 'string' || v === ''))
    throw new InputError(`Terraform output ${name} is not a map of names: ${JSON.stringify(value)}`);
  return Object.fromEntries(entries);
}
