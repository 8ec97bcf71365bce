import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { RULES } from '../scripts/policy/rules';
import { AWS_PROVIDER } from '../scripts/terraform/offline-plan';

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

describe('README, Supported versions', () => {
  const start = README.indexOf('## Supported versions');
  const section = README.slice(start, README.indexOf('\n## ', start + 1));
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const plan = parse(readFileSync(join(__dirname, '..', '.github', 'workflows', 'plan.yml'), 'utf8'));

  test('states the versions the project pins and CI runs', () => {
    expect(start).toBeGreaterThan(0);
    expect(section).toContain(`| hashicorp/aws | ${AWS_PROVIDER.version} |`);
    expect(section).toContain(
      `| @cdktf/provider-aws | ${pkg.dependencies['@cdktf/provider-aws']}, generated from hashicorp/aws ${AWS_PROVIDER.version} |`,
    );
    expect(pkg.devDependencies['cdktf-cli']).toBe(pkg.dependencies.cdktf);
    expect(section).toContain(`| cdktf, cdktf-cli | ${pkg.dependencies.cdktf} |`);
    const nodes: number[] = plan.jobs.test.strategy.matrix.node;
    expect(section).toContain(`| Node.js | ${nodes.join(' and ')}: CI runs every test on both`);
    const terraform: string = plan.env.TERRAFORM_VERSION;
    expect(section).toContain(`| Terraform | ${terraform.split('.').slice(0, 2).join('.')}.x (CI: ${terraform})`);
  });

  test('names the walk-through test of a contract change, which exists', () => {
    const walkthrough = /`(__tests__\/contract\/[\w-]+\.test\.ts)`/.exec(
      README.slice(README.indexOf('## Changing the contract'), README.indexOf('## Supported versions')),
    )?.[1];
    expect(walkthrough).toBeDefined();
    expect(existsSync(join(__dirname, '..', walkthrough!))).toBe(true);
  });
});
