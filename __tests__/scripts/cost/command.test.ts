import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environments } from '../../../config/environments';
import { buildApp } from '../../../stacks/app';
import { README_MARKERS, costSectionOf, withCostSection } from '../../../scripts/cost/report';
import { runInProcess } from '../../helpers/cli';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** The command end to end, on the real stacks: synthesized in memory, and read back from cdk.tf.json. */
describe('npm run cost', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cost-command-'));
  let synthesized: Json;
  beforeAll(async () => {
    const { code, stdout } = await runInProcess('cost', ['--json']);
    expect(code).toBe(0);
    synthesized = JSON.parse(stdout);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('--json gives each environment its at-rest and activity lines and totals, the expected month and the budget', () => {
    expect(synthesized.environments.map((e: Json) => e.environment)).toEqual(environments.map((e) => e.name));
    for (const e of synthesized.environments) {
      const sum = (lines: Json[]): number => Math.round(lines.reduce((total, l) => total + l.monthlyUsd, 0) * 100) / 100;
      expect(e.atRest.lines.length).toBeGreaterThan(5);
      expect(e.atRest.totalUsd).toBe(sum(e.atRest.lines));
      expect(e.activity.totalUsd).toBe(sum(e.activity.lines));
      expect(e.expectedUsd).toBeCloseTo(e.atRest.totalUsd + e.activity.totalUsd, 2);
      expect(e.unpriced).toEqual([]);
      expect(e.monthlyBudgetUsd).toBe(environments.find((c) => c.name === e.environment)!.monthlyBudgetUsd);
      for (const line of [...e.atRest.lines, ...e.activity.lines]) {
        expect(line).toMatchObject({
          item: expect.any(String),
          unit: expect.any(String),
          source: expect.stringMatching(/^https:\/\/aws\.amazon\.com\//),
        });
      }
    }
  });

  test('the figures follow the stacks: dev has no Extended Support and no DMS instance at rest; prod has its Multi-AZ instance', () => {
    const [dev, prod] = synthesized.environments;
    const items = (e: Json): string[] => e.atRest.lines.map((l: Json) => l.item);
    expect(items(dev).filter((i) => /Extended Support|DMS dms\./.test(i))).toEqual([]);
    expect(dev.activity.lines.map((l: Json) => l.item)).toContainEqual(expect.stringMatching(/^DMS Serverless full load/));
    expect(items(prod)).toContainEqual('DMS dms.t3.medium, Multi-AZ');
    expect(items(prod)).toContainEqual('RDS MySQL 8.4 db.m7g.large, Multi-AZ');
    expect(
      items(dev)
        .filter((i) => i.startsWith('Interface endpoint'))
        .every((i) => i.endsWith('(1 AZ)')),
    ).toBe(true);
    expect(
      items(prod)
        .filter((i) => i.startsWith('Interface endpoint'))
        .every((i) => i.endsWith('(3 AZs)')),
    ).toBe(true);
  });

  test('read from synthesized cdk.tf.json files, the estimate is the same as the stacks’ own', async () => {
    buildApp(environments, dir).synth();
    const { code, stdout } = await runInProcess('cost', ['--json', '--stacks-dir', join(dir, 'stacks')]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).environments).toEqual(synthesized.environments);
  });

  test('one environment with --env; its share of the account baseline does not change', async () => {
    const { code, stdout } = await runInProcess('cost', ['--json', '--env', 'prod']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).environments).toEqual([synthesized.environments[1]]);
  });

  test('the terminal report: a table per environment and section, unconfirmed prices marked, the summary with the budgets', async () => {
    const { code, stdout } = await runInProcess('cost', ['--env', 'dev']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^unicornhealth-dev: at rest \$\d+\.\d\d a month\nitem +quantity +unit price +per month +assumption/m);
    expect(stdout).toMatch(/^unicornhealth-dev: activity \$\d+\.\d\d a month \(4 releases at \$\d+\.\d\d/m);
    expect(stdout).toMatch(/^dev +\$\d+\.\d\d +\$\d+\.\d\d +\$\d+\.\d\d +\$\d+\.\d\d +\$\d+\.\d\d$/m);
    expect(stdout).toMatch(/\* a price the checked copy of its page did not show/);
  });

  test.each([
    [['--env', 'staging'], /--env staging: not an environment \(environments: dev, prod\)/],
    [['--stacks-dir', '/no/such/folder'], /does not exist/],
    [['--wirte-readme'], /unknown option '--wirte-readme'/],
  ])('%j is refused with exit 2 before anything is estimated', async (args, message) => {
    const { code, stderr } = await runInProcess('cost', args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  test('the README section is replaced between its markers, and read back', () => {
    const readme = `# Title\n\n${README_MARKERS.begin}\nold\n${README_MARKERS.end}\n\nafter\n`;
    const updated = withCostSection(readme, '| new |');
    expect(updated).toBe(`# Title\n\n${README_MARKERS.begin}\n| new |\n${README_MARKERS.end}\n\nafter\n`);
    expect(costSectionOf(updated)).toBe('| new |');
    expect(() => withCostSection('# no markers', 'x')).toThrow(/has no .* section/);
  });

  test('--write-readme writes the section into the README of the working folder', async () => {
    const original = readFileSync('README.md', 'utf8');
    const scratch = mkdtempSync(join(tmpdir(), 'cost-readme-'));
    const cwd = process.cwd();
    try {
      writeFileSync(join(scratch, 'README.md'), withCostSection(original, 'stale'));
      process.chdir(scratch);
      const { code, stdout } = await runInProcess('cost', ['--write-readme', '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(stdout).readmeCurrent).toBe(true);
      expect(costSectionOf(readFileSync('README.md', 'utf8'))).toMatch(/^\| Environment \| At rest \|/);
      expect(readFileSync('README.md', 'utf8')).toContain('## Monthly cost estimate');
    } finally {
      process.chdir(cwd);
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
