/* eslint-disable @typescript-eslint/no-explicit-any */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../cli/errors';
import { StackModel, modelFromPlan, modelFromSynth } from './model';

function readJson(path: string): any {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(
      `${path}: ${(error as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a folder, not a file' : (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not JSON (${(error as Error).message})`);
  }
}

/** A `terraform show -json` plan; anything else (a synthesized stack, a state file) is an input error naming it. */
export function readPlan(path: string): any {
  const json = readJson(path);
  if (json && typeof json === 'object' && 'planned_values' in json && 'format_version' in json) return json;
  const looksLike =
    json?.resource && json?.terraform ? ' It looks like a synthesized stack (cdk.tf.json): check it with --stacks DIR.' : '';
  throw new InputError(`${path}: not a plan from terraform show -json (it has no planned_values).${looksLike}`);
}

/** Every synthesized stack under `dir` (`<stack>/cdk.tf.json`); none is an input error, never "all rules pass". */
export function loadSynthesizedStacks(dir: string): StackModel[] {
  if (!existsSync(dir)) throw new InputError(`no synthesized stacks at ${dir}: run npm run synth first`);
  const stacks = readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'cdk.tf.json')))
    .sort();
  if (stacks.length === 0) throw new InputError(`${dir} holds no synthesized stack (<stack>/cdk.tf.json): run npm run synth first`);
  return stacks.map((name) => modelFromSynth(name, readJson(join(dir, name, 'cdk.tf.json'))));
}

/** A plan as the policy rules see it. */
export const loadPlan = (path: string, name: string): StackModel => modelFromPlan(name, readPlan(path));
