/* eslint-disable @typescript-eslint/no-explicit-any */
import { Resource, StackModel, StackScope, referenced } from './model';
import { groupBy, indexOf } from './stack-index';

/** Where a rule comes from: the scanners' ids it mirrors, the HIPAA safeguard it serves, the AWS pages it encodes. */
export interface RuleSources {
  readonly checkov?: readonly string[];
  readonly trivy?: readonly string[];
  readonly cdkNag?: string;
  readonly hipaa?: string;
  /**
   * AWS documentation pages, and provider or AWS issues, that state the constraint the rule encodes: every "AWS
   * service constraints" rule (`UH-AWS-*`) has at least one.
   */
  readonly aws?: readonly string[];
}

export interface Finding {
  readonly rule: string;
  readonly resource: string;
  readonly pass: boolean;
  readonly reason: string;
}

export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly resourceTypes: readonly string[];
  readonly sources: RuleSources;
  evaluate(stack: StackModel): Finding[];
}

/** The resources of some types, in the stack's order, from the stack's index. Shared: never change the array. */
export const of = (stack: StackModel, ...types: string[]): readonly Resource[] => indexOf(stack).ofType(types);
export const first = (value: any): any => (Array.isArray(value) ? value[0] : value);
export const list = <T>(value: T | T[] | undefined | null): T[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];

/** A rule that checks each resource of some types: `problem` returns the reason it fails, or undefined. */
export function perResource(
  id: string,
  title: string,
  types: string[],
  sources: RuleSources,
  problem: (resource: Resource, stack: StackModel) => string | undefined,
  applies: (resource: Resource, stack: StackModel) => boolean = () => true,
): Rule {
  return {
    id,
    title,
    resourceTypes: types,
    sources,
    evaluate: (stack) =>
      of(stack, ...types)
        .filter((r) => applies(r, stack))
        .map((r) => {
          const reason = problem(r, stack);
          return { rule: id, resource: r.address, pass: reason === undefined, reason: reason ?? 'ok' };
        }),
  };
}

/** A rule about the stack as a whole (something must exist), for the stacks it applies to. */
export function stackRule(
  id: string,
  title: string,
  types: string[],
  sources: RuleSources,
  problem: (stack: StackModel) => string | undefined,
  applies: (stack: StackModel) => boolean = () => true,
): Rule {
  return {
    id,
    title,
    resourceTypes: types,
    sources,
    evaluate: (stack) => {
      if (!applies(stack)) return [];
      const reason = problem(stack);
      return [{ rule: id, resource: stack.name, pass: reason === undefined, reason: reason ?? 'ok' }];
    },
  };
}

/** Whether a stack is of a scope: an account baseline, or an environment. */
export const scoped =
  (scope: StackScope) =>
  (stack: StackModel): boolean =>
    stack.scope === scope;

/** The resource a sub-resource (`bucket`, `vpc_id`, `resource_arn`) belongs to: a reference or a plain name. */
export function owner(stack: StackModel, value: unknown, type: string, nameAttribute: string): Resource | undefined {
  return referenced(stack, value) ?? indexOf(stack).withValue(type, nameAttribute, value)[0];
}

/**
 * The resources of `type` whose `attribute` refers to `target` (`${target.attr}`), in the stack's order: grouped
 * once per stack, type and attribute, so asking for every target costs one pass.
 */
export function referring(stack: StackModel, type: string, attribute: string, target: Resource): readonly Resource[] {
  const index = indexOf(stack);
  return (
    index
      .derive(`referring ${type} ${attribute}`, () => groupBy(index.ofType([type]), (r) => referenced(stack, r.values[attribute])?.address))
      .get(target.address) ?? []
  );
}

/**
 * The resources of `type` whose `attribute` refers to `target` or holds `value` (its name or ARN, compared with
 * `===`), in the stack's order.
 */
export const referringOrNaming = (stack: StackModel, type: string, attribute: string, target: Resource, value: unknown): Resource[] =>
  indexOf(stack).inStackOrder(referring(stack, type, attribute, target), indexOf(stack).withValue(type, attribute, value));

/** The resources of a type that configure a bucket (its policy, encryption, logging), by reference or by name. */
export function settingsFor(stack: StackModel, bucket: Resource, type: string): readonly Resource[] {
  const index = indexOf(stack);
  const byBucket = index.derive(`settings ${type}`, () =>
    groupBy(index.ofType([type]), (r) => owner(stack, r.values.bucket, 'aws_s3_bucket', 'bucket')?.address),
  );
  return byBucket.get(bucket.address) ?? [];
}
