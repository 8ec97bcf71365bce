import type { Resource, StackModel } from './model';

/**
 * The lookups the rules make, answered from maps built once per stack: resources by type, by address, by
 * `type.name` (what a `${type.name.attr}` reference names) and by the value of an attribute, plus whatever a rule
 * derives from the whole stack once (`derive`). A rule that scanned every resource for each resource made the
 * checks quadratic in the plan (a 30,800-resource plan did not finish in 20 minutes); with the index each lookup
 * costs the size of its answer.
 */
export class StackIndex {
  private readonly positions = new Map<Resource, number>();
  private readonly byType = new Map<string, Resource[]>();
  private readonly byAddress = new Map<string, Resource>();
  private readonly byTypeAndName = new Map<string, Resource>();
  private readonly ofTypes = new Map<string, readonly Resource[]>();
  private readonly derived = new Map<string, unknown>();

  constructor(readonly resources: readonly Resource[]) {
    resources.forEach((resource, position) => {
      this.positions.set(resource, position);
      const ofType = this.byType.get(resource.type);
      if (ofType) ofType.push(resource);
      else this.byType.set(resource.type, [resource]);
      // The first one wins, as `resources.find` would have it.
      if (!this.byAddress.has(resource.address)) this.byAddress.set(resource.address, resource);
      const key = typeAndName(resource.type, resource.name);
      if (!this.byTypeAndName.has(key)) this.byTypeAndName.set(key, resource);
    });
  }

  /** The resources of some types, in the stack's order. Shared: never change the array. */
  ofType(types: readonly string[]): readonly Resource[] {
    if (types.length === 1) return this.byType.get(types[0]) ?? [];
    const key = types.join('\n');
    let found = this.ofTypes.get(key);
    if (!found) {
      found = this.inStackOrder(...[...new Set(types)].map((type) => this.byType.get(type) ?? []));
      this.ofTypes.set(key, found);
    }
    return found;
  }

  /** The resource at an address. */
  at(address: string): Resource | undefined {
    return this.byAddress.get(address);
  }

  /** The first resource of a type with a name: what `${type.name.attribute}` refers to. */
  named(type: string, name: string): Resource | undefined {
    return this.byTypeAndName.get(typeAndName(type, name));
  }

  /** The resources of a type whose `attribute` is `value` (compared with `===`), in the stack's order. */
  withValue(type: string, attribute: string, value: unknown): readonly Resource[] {
    // A map finds NaN under NaN; `===` never matches it.
    if (typeof value === 'number' && Number.isNaN(value)) return [];
    return this.derive(`value ${type} ${attribute}`, () => groupBy(this.ofType([type]), (r) => r.values[attribute])).get(value) ?? [];
  }

  /**
   * Something computed once per stack from its resources (a rule's grouping or set), under a key naming it. Rules
   * use it for what they would otherwise recompute, or rescan, for each resource they check.
   */
  derive<T>(key: string, build: () => T): T {
    if (this.derived.has(key)) return this.derived.get(key) as T;
    const value = build();
    this.derived.set(key, value);
    return value;
  }

  /** Several lists of the stack's resources as one, each resource once, in the stack's order. */
  inStackOrder(...lists: (readonly Resource[])[]): Resource[] {
    if (lists.length === 1) return [...lists[0]];
    const unique = [...new Set(lists.flat())];
    return unique.sort((a, b) => (this.positions.get(a) ?? 0) - (this.positions.get(b) ?? 0));
  }
}

const typeAndName = (type: string, name: string): string => `${type}\n${name}`;

/** Items grouped by a key, each group in the items' order. */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

const indexes = new WeakMap<StackModel, StackIndex>();

/**
 * The stack's index, built on first use and shared by every rule that evaluates the stack. A model is not changed
 * once built; a new resource list (a copy of the model with other resources) gets a new index.
 */
export function indexOf(stack: StackModel): StackIndex {
  const known = indexes.get(stack);
  if (known && known.resources === stack.resources) return known;
  const index = new StackIndex(stack.resources);
  indexes.set(stack, index);
  return index;
}

/**
 * Every `s` of at most `maxLength` characters such that `open + s + close` occurs in `text`: what
 * `text.includes(open + s + close)` answers, for all `s` at once, so a text searched for each of many names is read
 * once instead of once per name.
 */
export function enclosed(text: string, open: string, close: string, maxLength: number): Set<string> {
  const found = new Set<string>();
  for (let start = text.indexOf(open); start !== -1; start = text.indexOf(open, start + 1)) {
    const from = start + open.length;
    for (let end = text.indexOf(close, from); end !== -1 && end - from <= maxLength; end = text.indexOf(close, end + 1)) {
      found.add(text.slice(from, end));
    }
  }
  return found;
}

/** The length of the longest string, 0 for none (without spreading a long list into arguments). */
export const longest = (texts: Iterable<string>): number => {
  let max = 0;
  for (const text of texts) max = Math.max(max, text.length);
  return max;
};
