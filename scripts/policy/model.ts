/* eslint-disable @typescript-eslint/no-explicit-any */
import { indexOf } from './stack-index';

/** A Terraform resource as the policy rules see it, from a synthesized stack or a plan. */
export interface Resource {
  readonly type: string;
  readonly name: string;
  /** `type.name`, as Terraform addresses it. */
  readonly address: string;
  readonly values: Record<string, any>;
  readonly dependsOn: readonly string[];
}

/**
 * Whose resources a stack holds: an account baseline's (what exists once per account and region) or one
 * environment's. Told by the provider's default tags: environment stacks carry `Environment`, account baselines
 * `Account` only.
 */
export type StackScope = 'account' | 'environment';

/** One stack: its resources, its local policy documents, its provider settings, whose it is and whether it is production. */
export interface StackModel {
  readonly name: string;
  readonly resources: readonly Resource[];
  /** `aws_iam_policy_document` data sources by name: their statements. */
  readonly policyDocuments: Readonly<Record<string, any>>;
  readonly provider: Record<string, any>;
  /** Undefined when the default tags name neither an environment nor an account. */
  readonly scope: StackScope | undefined;
  readonly production: boolean;
  /**
   * Whether resources carry their `lifecycle` block (ignore_changes, create_before_destroy): a synthesized stack
   * does, `terraform show -json` leaves it out of a plan. Rules about lifecycle settings check them only when known.
   */
  readonly lifecycleKnown: boolean;
}

function scopeOf(tags: Record<string, unknown>): StackScope | undefined {
  if (tags.Environment) return 'environment';
  return tags.Account ? 'account' : undefined;
}

export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: string[];
  readonly resources: string[];
  readonly principals: { type: string; identifiers: string[] }[];
  readonly conditions: { test: string; variable: string; values: string[] }[];
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A synthesized `cdk.tf.json`. */
export function modelFromSynth(name: string, json: any): StackModel {
  const resources: Resource[] = [];
  for (const [type, byName] of Object.entries<any>(json.resource ?? {})) {
    for (const [resourceName, values] of Object.entries<any>(byName)) {
      const { depends_on: dependsOn, ...rest } = values;
      delete rest['//'];
      resources.push({ type, name: resourceName, address: `${type}.${resourceName}`, values: rest, dependsOn: dependsOn ?? [] });
    }
  }
  const provider = list(json.provider?.aws)[0] ?? {};
  const tags = provider.default_tags?.[0]?.tags ?? {};
  return {
    name,
    resources,
    policyDocuments: json.data?.aws_iam_policy_document ?? {},
    provider,
    scope: scopeOf(tags),
    production: tags.Environment === 'prod' || /-prod$/.test(name),
    lifecycleKnown: true,
  };
}

/**
 * What the configuration says an attribute is: a constant, or a `${reference}` when it refers to another resource
 * (the plan cannot know that value yet, but the rules only need to know what it points at).
 */
function expressionValue(expression: any): any {
  if (Array.isArray(expression)) return expression.map(expressionValue);
  if (expression === null || typeof expression !== 'object') return expression;
  if ('constant_value' in expression) return expression.constant_value;
  if (Array.isArray(expression.references)) return expression.references.length ? `\${${expression.references[0]}}` : undefined;
  return Object.fromEntries(Object.entries(expression).map(([key, value]) => [key, expressionValue(value)]));
}

/** Planned values where the plan knows them, the configuration's expressions where it does not. */
function merge(planned: any, configured: any): any {
  if (planned === undefined || planned === null) return configured;
  if (Array.isArray(planned) && Array.isArray(configured)) return planned.map((value, i) => merge(value, configured[i]));
  if (typeof planned === 'object' && typeof configured === 'object' && configured && !Array.isArray(planned)) {
    const keys = new Set([...Object.keys(planned), ...Object.keys(configured)]);
    return Object.fromEntries([...keys].map((key) => [key, merge(planned[key], configured[key])]));
  }
  return planned;
}

/** A `terraform show -json` plan: planned values completed by the configuration, policy documents included. */
export function modelFromPlan(name: string, plan: any): StackModel {
  const resources: Resource[] = [];
  const config = new Map<string, any>();
  for (const r of plan.configuration?.root_module?.resources ?? []) config.set(r.address, r);
  for (const r of plan.planned_values?.root_module?.resources ?? []) {
    if (r.mode !== 'managed') continue;
    const configured = config.get(r.address);
    resources.push({
      type: r.type,
      name: r.name,
      address: r.address,
      values: merge(r.values ?? {}, expressionValue(configured?.expressions ?? {})),
      dependsOn: configured?.depends_on ?? [],
    });
  }
  const documents: Record<string, any> = {};
  for (const r of config.values()) {
    if (r.mode === 'data' && r.type === 'aws_iam_policy_document') documents[r.name] = expressionValue(r.expressions);
  }
  const providerConfig = expressionValue(plan.configuration?.provider_config?.aws?.expressions ?? {});
  const tags = providerConfig.default_tags?.[0]?.tags ?? {};
  return {
    name,
    resources,
    policyDocuments: documents,
    provider: providerConfig,
    scope: scopeOf(tags),
    production: tags.Environment === 'prod' || /-prod$/.test(name),
    lifecycleKnown: false,
  };
}

const normalizeStatement = (s: any): PolicyStatement => ({
  sid: s.sid ?? s.Sid,
  effect: (s.effect ?? s.Effect ?? 'Allow') as 'Allow' | 'Deny',
  actions: list(s.actions ?? s.Action),
  resources: list(s.resources ?? s.Resource),
  principals: s.principals
    ? list(s.principals).map((p: any) => ({ type: p.type, identifiers: list(p.identifiers) }))
    : s.Principal === '*'
      ? [{ type: '*', identifiers: ['*'] }]
      : Object.entries<any>(s.Principal ?? {}).map(([type, ids]) => ({ type, identifiers: list(ids) })),
  conditions: s.condition
    ? list(s.condition).map((c: any) => ({ test: c.test, variable: c.variable, values: list(c.values) }))
    : Object.entries<any>(s.Condition ?? {}).flatMap(([test, byVariable]) =>
        Object.entries<any>(byVariable).map(([variable, values]) => ({ test, variable, values: list(values) })),
      ),
});

/**
 * The statements of a policy attribute: a reference to a local policy document, the document's rendered JSON (in
 * a plan), or a JSON string. Undefined when the policy is not known (computed at apply time). Parsed once per stack
 * and policy text, however many rules read it: the result is shared, never change it.
 */
export function statementsOf(stack: StackModel, policy: unknown): PolicyStatement[] | undefined {
  if (typeof policy !== 'string') return undefined;
  const parsed = indexOf(stack).derive('statements', () => new Map<string, PolicyStatement[] | undefined>());
  if (!parsed.has(policy)) parsed.set(policy, parseStatements(stack, policy));
  return parsed.get(policy);
}

function parseStatements(stack: StackModel, policy: string): PolicyStatement[] | undefined {
  const reference = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(policy);
  if (reference) {
    const document = stack.policyDocuments[reference[1]];
    if (!document) return undefined;
    if (typeof document.json === 'string') return statementsOf(stack, document.json);
    return list(document.statement).map(normalizeStatement);
  }
  try {
    return list(JSON.parse(policy).Statement).map(normalizeStatement);
  } catch {
    return undefined;
  }
}

/** Every IAM-style policy in the stack: role trust and inline policies, group and user policies, key, bucket and topic policies. */
export function allPolicies(stack: StackModel): { resource: Resource; attribute: string; statements: PolicyStatement[] }[] {
  const attributes: Record<string, string> = {
    aws_iam_role: 'assume_role_policy',
    aws_iam_role_policy: 'policy',
    aws_iam_group_policy: 'policy',
    aws_iam_user_policy: 'policy',
    aws_iam_policy: 'policy',
    aws_kms_key: 'policy',
    aws_s3_bucket_policy: 'policy',
    aws_sns_topic_policy: 'policy',
  };
  const found: { resource: Resource; attribute: string; statements: PolicyStatement[] }[] = [];
  for (const resource of stack.resources) {
    const attribute = attributes[resource.type];
    if (!attribute) continue;
    const statements = statementsOf(stack, resource.values[attribute]);
    if (statements) found.push({ resource, attribute, statements });
  }
  return found;
}

const REFERENCE = /^\$\{([a-z0-9_]+)\.([^.]+)\.[a-z_]+\}$/;

/** The target of a `${type.name.attr}` reference, if the value is one (the first resource of that type and name). */
export function referenced(stack: StackModel, value: unknown): Resource | undefined {
  if (typeof value !== 'string') return undefined;
  const match = REFERENCE.exec(value);
  return match ? indexOf(stack).named(match[1], match[2]) : undefined;
}
