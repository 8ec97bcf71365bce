/* eslint-disable @typescript-eslint/no-explicit-any */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** A line of a source file, relative to the repository root with `/` separators (as SARIF and GitHub want it). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** One `new Class(scope, 'id', ...)` in the source: which class, in which scope, under which id, where. */
interface Creation {
  readonly className: string;
  /** `this`, or the expression a construct was created in (another construct, a `scope` parameter). */
  readonly scope: string;
  /** Matches the construct ids this creation can produce (a template literal or a variable matches many). */
  readonly id: RegExp;
  /** Literal characters of the id: the more, the surer a match (`to-prefix-list-443` before `to-${group}-${port}`). */
  readonly specificity: number;
  readonly location: SourceLocation;
  /** The class whose body holds the creation (undefined outside any class). */
  readonly inClass: string | undefined;
}

interface ClassDeclaration {
  readonly name: string;
  readonly base: string | undefined;
  readonly location: SourceLocation;
}

/** Where a resource comes from: the line that creates it, and each construct around it down from the stack. */
export interface ResourceSource {
  /** The construct path of the resource (`unicornhealth-dev/storage/lake/bucket`). */
  readonly constructPath: string;
  /** The line that creates the resource, or the innermost construct that could be found when it cannot be. */
  readonly location: SourceLocation;
  /** The creation of each enclosing construct, outermost first, ending with the resource's own when found. */
  readonly chain: readonly { readonly path: string; readonly location: SourceLocation }[];
  /** Whether every segment of the path was found in the source (false: `location` is an enclosing construct's). */
  readonly exact: boolean;
}

const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Index just past the argument that starts at `start`: up to a comma or closing bracket at depth 0, strings skipped. */
function argumentEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i += 1; i < text.length && text[i] !== c; i += 1) if (text[i] === '\\') i += 1;
    } else if (c === '(' || c === '[' || c === '{') depth += 1;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return i;
      depth -= 1;
    } else if (c === ',' && depth === 0) return i;
  }
  return text.length;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The ids an id argument can produce: a string literal exactly, a template literal with its holes, anything else any id. */
function idPattern(argument: string): { id: RegExp; specificity: number } {
  const literal = /^(['"])((?:\\.|(?!\1).)*)\1$/s.exec(argument);
  if (literal) return { id: new RegExp(`^${escapeRegExp(literal[2])}$`), specificity: literal[2].length };
  const template = /^`((?:\\.|[^`])*)`$/s.exec(argument);
  if (template) {
    const parts = template[1].split(/\$\{(?:[^{}]|\{[^{}]*\})*\}/);
    return { id: new RegExp(`^${parts.map(escapeRegExp).join('.+')}$`), specificity: parts.join('').length };
  }
  return { id: /^.+$/, specificity: 0 };
}

/**
 * Every class declaration and construct creation in the TypeScript files under `sourceDir`, read as text: a
 * creation is `new Class(scope, id` where the id is a literal, a template or an expression.
 */
function scanSources(root: string, sourceDir: string): { classes: Map<string, ClassDeclaration>; creations: Creation[] } {
  const classes = new Map<string, ClassDeclaration>();
  const creations: Creation[] = [];
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return files(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  for (const path of files(join(root, sourceDir)).sort()) {
    const file = relative(root, path).split(sep).join('/');
    const text = readFileSync(path, 'utf8');
    const declared = [...text.matchAll(/^(?:export\s+)?(?:abstract\s+)?class\s+(\w+)(?:<[^>]*>)?(?:\s+extends\s+(\w+))?/gm)].map(
      (match) => ({ name: match[1], base: match[2], index: match.index, location: { file, line: lineAt(text, match.index) } }),
    );
    for (const declaration of declared) classes.set(declaration.name, declaration);
    for (const match of text.matchAll(/\bnew\s+([A-Z]\w*)\s*\(/g)) {
      const scopeStart = match.index + match[0].length;
      const scopeEnd = argumentEnd(text, scopeStart);
      if (text[scopeEnd] !== ',') continue;
      const idStart = scopeEnd + 1;
      const argument = text.slice(idStart, argumentEnd(text, idStart)).trim();
      if (argument === '' || argument.startsWith('{')) continue;
      const enclosing = declared.filter((declaration) => declaration.index < match.index).pop();
      creations.push({
        className: match[1],
        scope: text.slice(scopeStart, scopeEnd).trim(),
        ...idPattern(argument),
        location: { file, line: lineAt(text, match.index) },
        inClass: enclosing?.name,
      });
    }
  }
  return { classes, creations };
}

/** The provider class of a Terraform type: `aws_s3_bucket_versioning` is `S3BucketVersioning` (or its `...A` variant). */
export function providerClassOf(type: string): string {
  return type
    .replace(/^aws_/, '')
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** What a segment is known to be: the resource itself (of a known type), or a construct with children. */
type SegmentKind = { readonly resourceType: string } | 'construct';

/**
 * The best of several creations that can make a segment: the one of the right kind first (the resource's provider
 * class for the last segment, a class of the source for a construct with children), then the most literal id.
 */
function best(candidates: readonly Creation[], kind: SegmentKind, declared: (name: string) => boolean): Creation | undefined {
  const fits = (creation: Creation): boolean => {
    if (kind === 'construct') return declared(creation.className);
    const expected = providerClassOf(kind.resourceType).toLowerCase();
    const name = creation.className.toLowerCase();
    return name === expected || name === `${expected}a`;
  };
  return [...candidates].sort((a, b) => Number(fits(b)) - Number(fits(a)) || b.specificity - a.specificity)[0];
}

/**
 * Maps construct paths to the source that creates them, by reading the construct code (`stacks/` by default) the
 * way a person would: the stack class creates `storage` as a `LakeStorage`, whose file creates `lake` as a
 * `SecureBucket`, whose file creates `bucket` as an `S3Bucket` - the line of that last creation is the resource's.
 * No table to keep up to date: a new construct is found the moment it exists. A construct created in another
 * construct's scope (`new Rule(client, ...)`) is found by its id anywhere in the source.
 */
export class ConstructSources {
  private readonly classes: Map<string, ClassDeclaration>;
  private readonly creations: Creation[];
  /** The stack class each stack's paths start from, chosen once per stack. */
  private readonly roots = new Map<string, string | undefined>();

  constructor(
    readonly root: string = process.cwd(),
    sourceDir = 'stacks',
  ) {
    ({ classes: this.classes, creations: this.creations } = scanSources(root, sourceDir));
  }

  /** Classes of the source whose ancestry reaches a class named `...Stack` that the source does not declare (cdktf's). */
  private stackClasses(): string[] {
    const isStack = (name: string | undefined, seen = new Set<string>()): boolean => {
      if (!name || seen.has(name)) return false;
      const declaration = this.classes.get(name);
      if (!declaration) return /Stack$/.test(name);
      seen.add(name);
      return isStack(declaration.base, seen);
    };
    return [...this.classes.keys()].filter((name) => isStack(this.classes.get(name)!.base));
  }

  private readonly declared = (name: string): boolean => this.classes.has(name);

  /** The creation of `segment` inside class `className` (or a class it extends), in `this`. */
  private createdIn(className: string, segment: string, kind: SegmentKind = 'construct'): Creation | undefined {
    for (let name: string | undefined = className; name && this.classes.has(name); name = this.classes.get(name)!.base) {
      const candidates = this.creations.filter((c) => c.inClass === name && c.scope === 'this' && c.id.test(segment));
      const found = best(candidates, kind, this.declared);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * A creation in some other construct's scope (`new Rule(client, ...)`), found by its id. Its id must have a literal
   * part: a helper's `new X(scope, id)` matches every id and would claim paths it does not make.
   */
  private createdElsewhere(segment: string, kind: SegmentKind): Creation | undefined {
    return best(
      this.creations.filter((c) => c.scope !== 'this' && c.specificity > 0 && c.id.test(segment)),
      kind,
      this.declared,
    );
  }

  /** Follows the path's ids from a stack class; how far it got, and the creations on the way. */
  private walk(rootClass: string, segments: readonly string[], resourceType: string | undefined): Creation[] {
    const found: Creation[] = [];
    let current: string | undefined = rootClass;
    for (const [i, segment] of segments.entries()) {
      const kind: SegmentKind = i === segments.length - 1 && resourceType ? { resourceType } : 'construct';
      const creation: Creation | undefined =
        (current !== undefined ? this.createdIn(current, segment, kind) : undefined) ?? this.createdElsewhere(segment, kind);
      if (!creation) break;
      found.push(creation);
      // A class the source does not declare is a provider resource: only a foreign-scope creation can go deeper.
      current = this.classes.has(creation.className) ? creation.className : undefined;
    }
    return found;
  }

  /** The stack class whose code creates the stack's top-level constructs, judged on the stack's own paths. */
  rootOf(stack: string, paths: readonly string[]): string | undefined {
    if (!this.roots.has(stack)) {
      const firstSegments = paths.map((path) => path.split('/')[1]).filter(Boolean);
      const scored = this.stackClasses()
        .map((name) => ({ name, score: firstSegments.filter((segment) => this.createdIn(name, segment)).length }))
        .sort((a, b) => b.score - a.score);
      this.roots.set(stack, scored[0]?.score ? scored[0].name : undefined);
    }
    return this.roots.get(stack);
  }

  /** Where a stack class is declared. */
  declarationOf(className: string): SourceLocation | undefined {
    return this.classes.get(className)?.location;
  }

  /**
   * The source of the resource at `constructPath`, starting from `rootClass` (see `rootOf`); its Terraform type, when
   * known, tells apart creations whose ids are both variables.
   */
  locate(constructPath: string, rootClass: string | undefined, resourceType?: string): ResourceSource | undefined {
    if (!rootClass) return undefined;
    const segments = constructPath.split('/').slice(1);
    const found = this.walk(rootClass, segments, resourceType);
    const chain = found.map((creation, i) => ({
      path: constructPath
        .split('/')
        .slice(0, i + 2)
        .join('/'),
      location: creation.location,
    }));
    const location = chain.length > 0 ? chain[chain.length - 1].location : this.declarationOf(rootClass);
    if (!location) return undefined;
    return { constructPath, location, chain, exact: found.length === segments.length };
  }
}

/** Each resource's construct path, by address, from the `//` metadata cdktf writes into a synthesized stack. */
export function constructPaths(stackJson: any): Map<string, string> {
  const paths = new Map<string, string>();
  for (const [type, byName] of Object.entries<any>(stackJson?.resource ?? {})) {
    for (const [name, values] of Object.entries<any>(byName ?? {})) {
      const path = values?.['//']?.metadata?.path;
      if (typeof path === 'string') paths.set(`${type}.${name}`, path);
    }
  }
  return paths;
}

/** Finds where a finding's resource (an address, or the stack's name for a stack-wide rule) is defined. */
export type SourceLocator = (stack: string, resource: string) => ResourceSource | undefined;

/**
 * A locator reading the synthesized stacks under `stacksDir` (`<stack>/cdk.tf.json`) for construct paths and the
 * construct code under `root/stacks` for the lines. A stack that was not synthesized there locates nothing.
 */
export function sourceLocator(stacksDir: string, root: string = process.cwd()): SourceLocator {
  let sources: ConstructSources | undefined;
  const stacks = new Map<string, Map<string, string> | undefined>();
  const pathsOf = (stack: string): Map<string, string> | undefined => {
    if (!stacks.has(stack)) {
      const file = join(stacksDir, stack, 'cdk.tf.json');
      stacks.set(stack, existsSync(file) ? constructPaths(JSON.parse(readFileSync(file, 'utf8'))) : undefined);
    }
    return stacks.get(stack);
  };
  return (stack, resource) => {
    const paths = pathsOf(stack);
    if (!paths) return undefined;
    sources ??= new ConstructSources(root);
    const rootClass = sources.rootOf(stack, [...paths.values()]);
    const path = paths.get(resource);
    if (path) return sources.locate(path, rootClass, resource.split('.')[0]);
    // A stack-wide finding names the stack: its class declaration.
    const declaration = rootClass ? sources.declarationOf(rootClass) : undefined;
    return declaration ? { constructPath: stack, location: declaration, chain: [], exact: resource === stack } : undefined;
  };
}
