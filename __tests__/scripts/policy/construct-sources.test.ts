import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accounts } from '../../../config/accounts';
import { environments } from '../../../config/environments';
import { POLICY_SUPPRESSIONS } from '../../../config/policy-suppressions';
import { ConstructSources, constructPaths, providerClassOf, sourceLocator } from '../../../scripts/policy/construct-sources';
import { evaluateStack } from '../../../scripts/policy/evaluate';
import { loadSynthesizedStacks } from '../../../scripts/policy/inputs';
import { toSarif } from '../../../scripts/policy/report';
import { buildApp } from '../../../stacks/app';

/* eslint-disable @typescript-eslint/no-explicit-any */

const ROOT = join(__dirname, '..', '..', '..');
const lineOf = (file: string, line: number): string => readFileSync(join(ROOT, file), 'utf8').split('\n')[line - 1];

describe('SARIF locations: from construct paths to the construct code, on the real synthesized stacks', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'construct-sources-'));
  const stacksDir = join(outdir, 'stacks');
  beforeAll(() => buildApp(environments, outdir, accounts).synth());
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const locate = () => sourceLocator(stacksDir, ROOT);
  const stacks = () => readdirSync(stacksDir).sort();
  const pathsOf = (stack: string) => constructPaths(JSON.parse(readFileSync(join(stacksDir, stack, 'cdk.tf.json'), 'utf8')));

  test('every resource of every stack is found, at a line of stacks/ that creates its provider class', () => {
    const locator = locate();
    expect(stacks().length).toBe(environments.length + accounts.length);
    let resources = 0;
    for (const stack of stacks()) {
      for (const [address, path] of pathsOf(stack)) {
        const source = locator(stack, address);
        expect({ address, exact: source?.exact }).toEqual({ address, exact: true });
        expect(source!.constructPath).toBe(path);
        expect(source!.location.file).toMatch(/^stacks\/(constructs\/[\w-]+|core\/[\w-]+|platform-stack|baseline-stack)\.ts$/);
        // The line creates the resource's class (`S3BucketVersioningA` for the `...A` variants of the provider).
        const code = `${lineOf(source!.location.file, source!.location.line)} ${lineOf(source!.location.file, source!.location.line + 1)}`;
        expect({ address, code }).toEqual({
          address,
          code: expect.stringMatching(new RegExp(`new ${providerClassOf(address.split('.')[0])}A?\\(`)),
        });
        resources += 1;
      }
    }
    expect(resources).toBeGreaterThan(300);
  });

  test('a bucket of the lake is located in SecureBucket, created by LakeStorage, created by the platform stack', () => {
    const stack = 'unicornhealth-dev';
    const [address] = [...pathsOf(stack)].find(([, path]) => path === `${stack}/storage/lake/bucket`)!;
    const source = locate()(stack, address)!;
    expect(source.location.file).toBe('stacks/constructs/secure-bucket.ts');
    expect(lineOf(source.location.file, source.location.line)).toMatch(/new S3Bucket\(this, 'bucket'/);
    expect(source.chain.map((step) => [step.path, step.location.file])).toEqual([
      [`${stack}/storage`, 'stacks/platform-stack.ts'],
      [`${stack}/storage/lake`, 'stacks/constructs/lake-storage.ts'],
      [`${stack}/storage/lake/bucket`, 'stacks/constructs/secure-bucket.ts'],
    ]);
  });

  test('the database, its audit log group, and a rule created in another construct’s scope are found', () => {
    const locator = locate();
    const byPath = (stack: string, pattern: RegExp) => [...pathsOf(stack)].find(([, path]) => pattern.test(path))![0];
    const database = locator('unicornhealth-prod', byPath('unicornhealth-prod', /\/database\/instance$/))!;
    expect(database.location.file).toBe('stacks/constructs/database.ts');
    const audit = locator('unicornhealth-prod', 'aws_cloudwatch_log_group.database_log-audit')!;
    expect(lineOf(audit.location.file, audit.location.line)).toContain('new CloudwatchLogGroup(this, `log-${log}`');
    // `new VpcSecurityGroupEgressRule(client, ...)`: created by ServiceSecurityGroup inside the client's group.
    const egress = byPath('unicornhealth-dev', /\/to-[^/]+-3306$/);
    expect(locator('unicornhealth-dev', egress)!.location.file).toBe('stacks/constructs/service-security-group.ts');
  });

  test('a stack-wide finding is located at the stack class; a stack that was not synthesized, nowhere', () => {
    const locator = locate();
    const platform = locator('unicornhealth-dev', 'unicornhealth-dev')!;
    expect(lineOf(platform.location.file, platform.location.line)).toMatch(/class PlatformStack /);
    const baseline = locator('unicornhealth-account-prod', 'unicornhealth-account-prod')!;
    expect(lineOf(baseline.location.file, baseline.location.line)).toMatch(/class AccountBaselineStack /);
    expect(locator('unicornhealth-staging', 'aws_s3_bucket.x')).toBeUndefined();
    expect(new ConstructSources(ROOT).locate('x/y', undefined)).toBeUndefined();
  });

  test('SARIF of the real stacks points only at files of the repository, never into cdktf.out', () => {
    const reports = loadSynthesizedStacks(stacksDir).map((model) => evaluateStack(model, POLICY_SUPPRESSIONS));
    // Every finding, passing or not, so that each kind of resource a rule names is located.
    const all = reports.map((r) => ({ ...r, findings: r.findings.map((f) => ({ ...f, pass: false })) }));
    const sarif = toSarif(all, locate()) as any;
    const results: any[] = sarif.runs[0].results;
    expect(results.length).toBeGreaterThan(100);
    for (const result of results) {
      const uri: string = result.locations[0].physicalLocation.artifactLocation.uri;
      expect(uri).not.toMatch(/cdktf\.out/);
      expect(existsSync(join(ROOT, uri))).toBe(true);
      expect(result.locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
    }
    expect(results.filter((r) => r.locations[0].physicalLocation.artifactLocation.uri === 'stacks/app.ts')).toEqual([]);
  });
});
