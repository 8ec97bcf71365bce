import { Suppression } from '../../config/policy-suppressions';
import { StackModel } from './model';
import { Finding, RULES, Rule } from './rules';

export interface StackReport {
  readonly stack: string;
  readonly findings: (Finding & { readonly suppressed?: Suppression })[];
  readonly failures: number;
  readonly suppressions: readonly Suppression[];
}

const matches = (pattern: string, address: string): boolean =>
  pattern.endsWith('*') ? address.startsWith(pattern.slice(0, -1)) : pattern === address;

/**
 * Every rule on one stack; failures covered by a suppression are kept, marked, and not counted. The rules share one
 * index of the stack (`indexOf`), built when the first rule asks.
 */
export function evaluateStack(stack: StackModel, suppressions: readonly Suppression[], rules: readonly Rule[] = RULES): StackReport {
  const used = new Set<Suppression>();
  const findings = rules
    .flatMap((rule) => rule.evaluate(stack))
    .map((finding) => {
      const suppressed = finding.pass
        ? undefined
        : suppressions.find((s) => s.rule === finding.rule && matches(s.resource, finding.resource));
      if (!suppressed) return finding;
      used.add(suppressed);
      return { ...finding, suppressed };
    });
  return {
    stack: stack.name,
    findings,
    failures: findings.filter((f) => !f.pass && !('suppressed' in f && f.suppressed)).length,
    suppressions: suppressions.filter((s) => used.has(s)),
  };
}
