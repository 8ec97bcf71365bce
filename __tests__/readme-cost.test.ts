import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environments } from '../config/environments';
import { estimateSynthesized } from '../scripts/cost/estimates';
import { costMarkdown, costSectionOf } from '../scripts/cost/report';

describe('the README’s monthly cost estimate', () => {
  test('is what npm run cost computes from the stacks (regenerate with npm run cost -- --write-readme)', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    expect(costSectionOf(readme)).toBe(costMarkdown(estimateSynthesized(environments).estimates));
  });
});
