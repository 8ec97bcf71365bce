import { Suppression } from '../../../config/policy-suppressions';
import { StackReport } from '../../../scripts/policy/evaluate';
import { ResourceSource, SourceLocator } from '../../../scripts/policy/construct-sources';
import { SARIF_FALLBACK_LOCATION, formatReports, toSarif } from '../../../scripts/policy/report';
import { RULES } from '../../../scripts/policy/rules';

/* eslint-disable @typescript-eslint/no-explicit-any */

const LONG_ADDRESS = 'aws_s3_bucket_server_side_encryption_configuration.storage_athena-results_encryption';
const ACCEPTED: Suppression = {
  rule: 'UH-S3-002',
  resource: 'aws_s3_bucket.storage_access-logs_bucket',
  reason: 'S3 server access log delivery is documented for SSE-S3 target buckets',
};

const FAILING: StackReport = {
  stack: 'unicornhealth-dev',
  findings: [
    { rule: 'UH-RDS-001', resource: 'aws_db_instance.database_instance', pass: true, reason: 'ok' },
    {
      rule: 'UH-RDS-002',
      resource: 'aws_db_instance.database_instance',
      pass: false,
      reason: 'publicly_accessible is true: the database is reachable from outside the VPC, which a PHI store must never be',
    },
    { rule: 'UH-S3-001', resource: LONG_ADDRESS, pass: false, reason: 'uses SSE-S3, not the customer-managed key' },
    {
      rule: 'UH-S3-002',
      resource: 'aws_s3_bucket.storage_access-logs_bucket',
      pass: false,
      reason: 'no customer-managed key',
      suppressed: ACCEPTED,
    },
  ],
  failures: 2,
  suppressions: [ACCEPTED],
};

const PASSING: StackReport = {
  stack: 'unicornhealth-prod',
  findings: [{ rule: 'UH-RDS-001', resource: 'aws_db_instance.database_instance', pass: true, reason: 'ok' }],
  failures: 0,
  suppressions: [],
};

const rowsOf = (text: string, rule: string): string[] => text.split('\n').filter((line) => line.startsWith(rule));

describe('the policy report', () => {
  test('by default: a summary line per stack, then only the failures and suppressed findings, then the suppressions', () => {
    const text = formatReports([FAILING, PASSING]);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`unicornhealth-dev: 2 failure(s) (4 findings of ${RULES.length} rules, 1 suppressed)`);
    expect(lines[1]).toMatch(/^rule\s+resource\s+result\s+reason$/);
    expect(rowsOf(text, 'UH-RDS-002')).toEqual([
      expect.stringMatching(/^UH-RDS-002\s+aws_db_instance\.database_instance\s+FAIL\s+publicly_accessible is true/),
    ]);
    expect(rowsOf(text, 'UH-S3-002')).toEqual([expect.stringMatching(/\s+suppressed\s+no customer-managed key$/)]);
    expect(rowsOf(text, 'UH-RDS-001')).toEqual([]);
    expect(text).toContain(`suppressed: UH-S3-002 on aws_s3_bucket.storage_access-logs_bucket: ${ACCEPTED.reason}`);
    expect(text).toMatch(new RegExp(`\\nunicornhealth-prod: all rules pass \\(1 finding of ${RULES.length} rules\\)$`));
  });

  test('a stack where every rule passes has its summary line and no table', () => {
    expect(formatReports([PASSING])).toBe(`unicornhealth-prod: all rules pass (1 finding of ${RULES.length} rules)`);
  });

  test('verbose lists every finding, passing ones without a reason', () => {
    const text = formatReports([FAILING], { verbose: true });
    expect(rowsOf(text, 'UH-RDS-001')).toEqual([expect.stringMatching(/^UH-RDS-001\s+aws_db_instance\.database_instance\s+pass$/)]);
    expect(rowsOf(text, 'UH-RDS-002')).toHaveLength(1);
    expect(rowsOf(text, 'UH-S3-001')).toHaveLength(1);
    expect(rowsOf(text, 'UH-S3-002')).toHaveLength(1);
  });

  test.each([60, 80, 120])('at width %i, reasons wrap but addresses are never cut', (width) => {
    const text = formatReports([FAILING], { width });
    expect(text).toContain(LONG_ADDRESS);
    expect(text).toContain('aws_db_instance.database_instance');
    // Wrapped lines continue the last column only, so without whitespace each reason reads through unbroken.
    const squeezed = text.replace(/\s+/g, '');
    for (const finding of FAILING.findings.filter((f) => !f.pass)) expect(squeezed).toContain(finding.reason.replace(/\s+/g, ''));
  });

  test('at a narrow width the long reason wraps onto several lines', () => {
    const wide = formatReports([FAILING]);
    const narrow = formatReports([FAILING], { width: 60 });
    expect(narrow.split('\n').length).toBeGreaterThan(wide.split('\n').length);
  });
});

describe('SARIF', () => {
  /** Where the test's resources are created: the construct code of a lake bucket, inside LakeStorage, inside the stack. */
  const SOURCES: Record<string, ResourceSource> = {
    [LONG_ADDRESS]: {
      constructPath: 'unicornhealth-dev/storage/athena-results/encryption',
      location: { file: 'stacks/constructs/secure-bucket.ts', line: 145 },
      chain: [
        { path: 'unicornhealth-dev/storage', location: { file: 'stacks/platform-stack.ts', line: 97 } },
        { path: 'unicornhealth-dev/storage/athena-results', location: { file: 'stacks/constructs/lake-storage.ts', line: 120 } },
        {
          path: 'unicornhealth-dev/storage/athena-results/encryption',
          location: { file: 'stacks/constructs/secure-bucket.ts', line: 145 },
        },
      ],
      exact: true,
    },
  };
  const locate: SourceLocator = (_stack, resource) => SOURCES[resource];
  const sarif = toSarif([FAILING, PASSING], locate) as any;

  test('is SARIF 2.1.0 describing every rule once', () => {
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    expect(sarif.runs).toHaveLength(1);
    expect(sarif.runs[0].tool.driver.rules.map((r: any) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const rule of sarif.runs[0].tool.driver.rules) expect(rule.shortDescription.text).not.toBe('');
  });

  test('an AWS service constraint links the page that states it, and lists every AWS source beside the scanner ids', () => {
    const described = sarif.runs[0].tool.driver.rules.find((r: any) => r.id === 'UH-AWS-GLUE-001');
    expect(described.helpUri).toBe('https://docs.aws.amazon.com/glue/latest/dg/crawler-lf-integ.html');
    expect(described.properties.aws).toEqual(RULES.find((r) => r.id === 'UH-AWS-GLUE-001')!.sources.aws);
    expect(sarif.runs[0].tool.driver.rules.find((r: any) => r.id === 'UH-RDS-002')).not.toHaveProperty('helpUri');
  });

  test('reports failures as errors and suppressed findings as notes with their justification; passes are left out', () => {
    const results = sarif.runs[0].results;
    expect(results.map((r: any) => `${r.ruleId}:${r.level}`)).toEqual(['UH-RDS-002:error', 'UH-S3-001:error', 'UH-S3-002:note']);
    expect(results[2].suppressions).toEqual([{ kind: 'external', justification: ACCEPTED.reason }]);
    expect(results[0].suppressions).toBeUndefined();
  });

  test('each result names the stack and the full resource address, located at the construct code that creates it', () => {
    const result = sarif.runs[0].results[1];
    expect(result.message.text).toBe(`unicornhealth-dev: ${LONG_ADDRESS}: uses SSE-S3, not the customer-managed key`);
    expect(result.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'stacks/constructs/secure-bucket.ts' },
      region: { startLine: 145 },
    });
    expect(result.locations[0].logicalLocations[0]).toEqual({ fullyQualifiedName: LONG_ADDRESS, kind: 'resource' });
    expect(result.properties).toEqual({ stack: 'unicornhealth-dev', constructPath: 'unicornhealth-dev/storage/athena-results/encryption' });
  });

  test('the constructs around the resource are related locations, outermost first', () => {
    const related = sarif.runs[0].results[1].relatedLocations;
    expect(related.map((r: any) => [r.physicalLocation.artifactLocation.uri, r.message.text])).toEqual([
      ['stacks/platform-stack.ts', 'creates unicornhealth-dev/storage'],
      ['stacks/constructs/lake-storage.ts', 'creates unicornhealth-dev/storage/athena-results'],
    ]);
  });

  test('a resource the locator cannot place is shown at the file that builds the stacks, never in cdktf.out', () => {
    const result = sarif.runs[0].results[0];
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe(SARIF_FALLBACK_LOCATION.file);
    expect(JSON.stringify(sarif)).not.toContain('cdktf.out');
    expect(result.relatedLocations).toBeUndefined();
  });
});
