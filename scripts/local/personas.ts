import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PERSONA_ROLE_SUFFIX, ReaderPersona } from '../../contract/lake';
import { InputError } from '../cli/errors';

/** Columns a persona was granted, by lower-case table name: `all` for a grant of the whole table. */
export type GrantedColumns = ReadonlyMap<string, readonly string[] | 'all'>;

/** The parts of a synthesized stack (`cdk.tf.json`) read here: resources by type and name. */
export interface SynthesizedStack {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
}

/** A Lake Formation grant as synthesized. */
interface Permission {
  readonly principal?: string;
  readonly permissions?: readonly string[];
  readonly table?: { readonly name?: string };
  readonly table_with_columns?: { readonly name?: string; readonly column_names?: readonly string[]; readonly wildcard?: boolean };
}

/** The resource a `${type.name.attribute}` reference points at. */
function referenced(stack: SynthesizedStack, value: unknown): Readonly<Record<string, unknown>> | undefined {
  const match = typeof value === 'string' ? /^\$\{([a-z0-9_]+)\.([^.}]+)\.[a-z_]+\}$/.exec(value) : null;
  return match ? stack.resource?.[match[1]]?.[match[2]] : undefined;
}

/** A resource's `name` attribute, or the value itself when it is a plain name rather than a reference. */
const nameOf = (stack: SynthesizedStack, value: unknown): string => {
  const name = referenced(stack, value)?.name ?? value;
  return typeof name === 'string' ? name : '';
};

/**
 * What each persona may read according to the Lake Formation grants of a synthesized stack: every
 * `aws_lakeformation_permissions` with SELECT whose principal is a persona's role (found by its name suffix), on a
 * table or on listed columns. The local rehearsal builds each persona's view from this, not from the contract, so it
 * is governed by the same grants the lake is.
 */
export function grantsByPersona(stack: SynthesizedStack): ReadonlyMap<ReaderPersona, GrantedColumns> {
  const personaOfRole = (roleName: string): ReaderPersona | undefined =>
    (Object.entries(PERSONA_ROLE_SUFFIX) as [ReaderPersona, string][]).find(([, suffix]) => roleName.endsWith(`-${suffix}`))?.[0];
  const grants = new Map<ReaderPersona, Map<string, readonly string[] | 'all'>>();
  for (const permission of Object.values(stack.resource?.aws_lakeformation_permissions ?? {}) as Permission[]) {
    if (!(permission.permissions ?? []).some((p) => p === 'SELECT' || p === 'ALL')) continue;
    const persona = personaOfRole(nameOf(stack, permission.principal));
    if (!persona) continue;
    const onColumns = permission.table_with_columns;
    const onTable = permission.table;
    const tableName = nameOf(stack, (onColumns ?? onTable)?.name).toLowerCase();
    if (!tableName) continue;
    const columns: readonly string[] | 'all' =
      onTable || onColumns?.wildcard ? 'all' : (onColumns?.column_names ?? []).map((c) => c.toLowerCase());
    const granted = grants.get(persona) ?? new Map<string, readonly string[] | 'all'>();
    granted.set(tableName, columns);
    grants.set(persona, granted);
  }
  return grants;
}

/** A synthesized stack read from `cdk.tf.json`; a missing or unreadable file is an input error naming it. */
export function readSynthesizedStack(path: string): SynthesizedStack {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SynthesizedStack;
  } catch (error) {
    throw new InputError(`${path}: not a synthesized stack (${(error as Error).message})`);
  }
}

/** The synthesized stack of one environment in an outdir (`<outdir>/stacks/<stack>/cdk.tf.json`). */
export function synthesizedStackIn(outdir: string, stackName: string): SynthesizedStack {
  const path = join(outdir, 'stacks', stackName, 'cdk.tf.json');
  if (!existsSync(path)) {
    const found = existsSync(join(outdir, 'stacks')) ? readdirSync(join(outdir, 'stacks')).join(', ') : 'none';
    throw new InputError(`no synthesized stack ${stackName} in ${outdir} (stacks: ${found})`);
  }
  return readSynthesizedStack(path);
}

/**
 * The Lake Formation grants of an environment as its stack is synthesized from the code right now (so an edit of a
 * grant is rehearsed without a separate synth), or as a given synthesized stack file holds them.
 */
export async function grantsOfEnvironment(options: {
  readonly environment: string;
  readonly stackFile?: string;
  readonly workDir: string;
}): Promise<ReadonlyMap<ReaderPersona, GrantedColumns>> {
  if (options.stackFile) return grantsByPersona(readSynthesizedStack(options.stackFile));
  const [{ environments }, { buildApp }, { stackName }] = await Promise.all([
    import('../../config/environments'),
    import('../../stacks/app'),
    import('../../stacks/platform-stack'),
  ]);
  const config = environments.find((e) => e.name === options.environment);
  if (!config)
    throw new InputError(
      `--env ${options.environment} is not an environment (environments: ${environments.map((e) => e.name).join(', ')})`,
    );
  const outdir = join(options.workDir, 'synth');
  buildApp([config], outdir).synth();
  return grantsByPersona(synthesizedStackIn(outdir, stackName(config)));
}
