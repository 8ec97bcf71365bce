import { POLICY_SUPPRESSIONS } from '../../config/policy-suppressions';
import { RULES } from '../../scripts/policy/rules';

describe('the policy suppressions', () => {
  test.each(POLICY_SUPPRESSIONS.map((s) => [s.rule, s.resource, s] as const))('%s on %s', (_rule, _resource, suppression) => {
    const rule = RULES.find((r) => r.id === suppression.rule);
    expect(rule).toBeDefined();
    // A Terraform address of a type the rule checks, with `*` allowed only at the end.
    const [type] = suppression.resource.split('.');
    expect(suppression.resource).toMatch(/^[a-z0-9_]+\.[A-Za-z0-9_-]+\*?$/);
    expect(rule!.resourceTypes).toContain(type);
    expect(suppression.reason.trim().length).toBeGreaterThan(20);
  });

  test('each rule and resource pattern is suppressed once', () => {
    const keys = POLICY_SUPPRESSIONS.map((s) => `${s.rule} ${s.resource}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
