/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   synthesized stacks and plans are untyped JSON whose shape is the provider's, as in scripts/policy. */
/**
 * Synthetic plans for the policy benchmark (and the test that evaluation grows linearly): a synthesized stack
 * repeated as many times as wanted, each copy's addresses, references and names renamed so that the copies are
 * distinct environments whose resources refer to each other as the original's do, then written the way
 * `terraform show -json` prints a plan.
 */

type Json = any;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Marks left where a copy's suffix goes (JSON text never holds a raw control character). */
const ADDRESS_MARK = '\u0001';
const NAME_MARK = '\u0002';
const GLUE_NAME_MARK = '\u0003';

/**
 * The synthesized stack `stack` (a `cdk.tf.json`) repeated `copies` times. Copy 0 is the original; copy `c` renames
 * every resource and policy document `x` to `x_c<c>` wherever it is named (references, `depends_on`, expressions
 * inside `${...}`), and every name derived from `prefix` (`unicornhealth-dev`, and `unicornhealth_dev` for Glue) to
 * `<prefix>-c<c>`, so buckets, roles and databases stay unique and lookups by name find the copy's own.
 */
export function replicateStack(stack: Json, copies: number, prefix: string): Json {
  const addresses = [
    ...Object.entries<Json>(stack.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)),
    ...Object.keys(stack.data?.aws_iam_policy_document ?? {}).map((name) => `data.aws_iam_policy_document.${name}`),
  ];
  const named = new RegExp(`(?<![\\w.-])(${addresses.map(escapeRegExp).join('|')})(?![\\w-])`, 'g');
  const glue = prefix.replace(/-/g, '_');
  // Marked once, then each copy only fills the marks in.
  const template = JSON.stringify({ resource: stack.resource ?? {}, documents: stack.data?.aws_iam_policy_document ?? {} })
    .replace(named, (address: string) => `${address}${ADDRESS_MARK}`)
    .replace(new RegExp(`${escapeRegExp(prefix)}|${escapeRegExp(glue)}`, 'g'), (found: string) =>
      found === prefix ? `${found}${NAME_MARK}` : `${found}${GLUE_NAME_MARK}`,
    );
  const resources: Json = {};
  const documents: Json = {};
  for (let copy = 0; copy < copies; copy += 1) {
    const suffix = copy === 0 ? '' : `_c${copy}`;
    const renamed = JSON.parse(
      template
        .replaceAll(ADDRESS_MARK, suffix)
        .replaceAll(NAME_MARK, copy === 0 ? '' : `-c${copy}`)
        .replaceAll(GLUE_NAME_MARK, suffix),
    );
    for (const [type, byName] of Object.entries<Json>(renamed.resource)) {
      for (const [name, values] of Object.entries<Json>(byName)) (resources[type] ??= {})[`${name}${suffix}`] = values;
    }
    for (const [name, document] of Object.entries<Json>(renamed.documents)) documents[`${name}${suffix}`] = document;
  }
  return { ...stack, resource: resources, data: { ...stack.data, aws_iam_policy_document: documents } };
}

/** The resource addresses a `${...}` expression refers to, as Terraform lists them: `type.name.attr`, then `type.name`. */
function referencesIn(value: string, types: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const expression of value.match(/\$\{[^}]*\}/g) ?? []) {
    for (const match of expression.matchAll(/(?<![\w.])((data\.)?([a-z][a-z0-9_]*)\.[\w-]+)(\.[a-z_][a-z0-9_]*)?/g)) {
      if (!types.has(match[3]) && !match[2]) continue;
      found.push(...(match[4] ? [`${match[1]}${match[4]}`, match[1]] : [match[1]]));
    }
  }
  return [...new Set(found)];
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const unknownUntilApply = (value: unknown): boolean => JSON.stringify(value ?? null).includes('${');

/** A configured value as Terraform's configuration JSON writes it: constants, references, nested blocks. */
function expression(value: unknown, types: ReadonlySet<string>): Json {
  if (isObject(value)) return expressions(value, types);
  if (Array.isArray(value) && value.some(isObject)) return value.map((block) => expression(block, types));
  const references = referencesIn(JSON.stringify(value ?? null), types);
  return references.length ? { references } : { constant_value: value };
}

/** Meta-arguments and cdktf metadata: not attributes, so neither in a plan's values nor in its expressions. */
const META = new Set(['//', 'depends_on', 'lifecycle', 'provider', 'count', 'for_each']);

const expressions = (values: Record<string, unknown>, types: ReadonlySet<string>): Json =>
  Object.fromEntries(
    Object.entries(values)
      .filter(([key]) => !META.has(key))
      .map(([key, value]) => [key, expression(value, types)]),
  );

/** What the plan knows before apply: every value without a reference; the rest is unknown until apply. */
function knownValues(values: Record<string, unknown>): { known: Json; unknown: Json } {
  const known: Json = {};
  const unknown: Json = {};
  for (const [key, value] of Object.entries(values)) {
    if (META.has(key)) continue;
    if (unknownUntilApply(value)) unknown[key] = true;
    else known[key] = value;
  }
  return { known, unknown };
}

/**
 * The action of the `position`th resource in a plan of an existing platform: most resources unchanged, some
 * updated, a few created or replaced, so the summary counts every kind and finds stateful replacements.
 */
function actionsAt(position: number): string[] {
  if (position % 97 === 13) return ['delete', 'create'];
  if (position % 53 === 7) return ['create'];
  if (position % 11 === 3) return ['update'];
  return ['no-op'];
}

/**
 * A synthesized stack as `terraform show -json` prints its plan against a deployed platform: planned values (what
 * is known before apply), the prior state, resource changes with their before and after values, and the
 * configuration's expressions (references where values are unknown), policy documents and provider included.
 */
export function planOf(stack: Json): Json {
  const types = new Set(Object.keys(stack.resource ?? {}));
  const planned: Json[] = [];
  const prior: Json[] = [];
  const changes: Json[] = [];
  const configured: Json[] = [];
  for (const [type, byName] of Object.entries<Json>(stack.resource ?? {})) {
    for (const [name, values] of Object.entries<Json>(byName)) {
      const address = `${type}.${name}`;
      const { known, unknown } = knownValues(values);
      const actions = actionsAt(changes.length);
      const head = { address, mode: 'managed', type, name, provider_name: 'registry.terraform.io/hashicorp/aws' };
      planned.push({ ...head, schema_version: 0, values: known, sensitive_values: {} });
      if (actions[0] !== 'create') prior.push({ ...head, schema_version: 0, values: { ...known, id: `${name}-id` }, sensitive_values: {} });
      changes.push({
        ...head,
        change: {
          actions,
          before: actions[0] === 'create' ? null : { ...known, id: `${name}-id` },
          after: known,
          after_unknown: actions[0] === 'no-op' ? {} : unknown,
          before_sensitive: actions[0] === 'create' ? false : {},
          after_sensitive: {},
        },
        ...(actions.length > 1 ? { action_reason: 'replace_because_cannot_update' } : {}),
      });
      configured.push({
        ...head,
        provider_config_key: 'aws',
        expressions: expressions(values, types),
        schema_version: 0,
        ...(values.depends_on ? { depends_on: values.depends_on } : {}),
      });
    }
  }
  for (const [name, document] of Object.entries<Json>(stack.data?.aws_iam_policy_document ?? {})) {
    configured.push({
      address: `data.aws_iam_policy_document.${name}`,
      mode: 'data',
      type: 'aws_iam_policy_document',
      name,
      provider_config_key: 'aws',
      expressions: expressions(document, types),
      schema_version: 0,
    });
  }
  const provider = [stack.provider?.aws ?? []].flat()[0] ?? {};
  return {
    format_version: '1.2',
    terraform_version: '1.11.4',
    planned_values: { root_module: { resources: planned } },
    resource_changes: changes,
    prior_state: { format_version: '1.0', terraform_version: '1.11.4', values: { root_module: { resources: prior } } },
    configuration: {
      provider_config: {
        aws: { name: 'aws', full_name: 'registry.terraform.io/hashicorp/aws', expressions: expressions(provider, types) },
      },
      root_module: { resources: configured },
    },
    timestamp: '2025-01-01T00:00:00Z',
    applyable: true,
    complete: true,
    errored: false,
  };
}

/** The number of managed resources of a synthesized stack. */
export const resourceCount = (stack: Json): number =>
  Object.values<Json>(stack.resource ?? {}).reduce((n: number, byName: Json) => n + Object.keys(byName).length, 0);
