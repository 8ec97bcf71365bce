import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../scripts/policy/rules';

/** The README documents what the code does; these facts are checked so the two cannot drift apart. */
const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  test.each(RULES.filter((rule) => /^UH-(AWS|ACC)-/.test(rule.id)).map((rule) => [rule.id, rule] as const))(
    'lists the AWS service constraint %s with its sources',
    (id, rule) => {
      const row = README.split('\n').find((line) => line.startsWith(`| ${id} |`));
      expect(row).toBeDefined();
      for (const source of rule.sources.aws ?? []) expect(row).toContain(source);
    },
  );
});
