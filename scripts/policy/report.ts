import { RULES } from './rules';
import { StackReport } from './evaluate';

/** A table per stack: rule, resource, result, reason; then the suppressions in force. */
export function formatReports(reports: readonly StackReport[], options: { failuresOnly?: boolean } = {}): string {
  const lines: string[] = [];
  for (const report of reports) {
    const rows = report.findings
      .filter((f) => !options.failuresOnly || !f.pass)
      .map((f) => [f.rule, f.resource, f.pass ? 'pass' : f.suppressed ? 'suppressed' : 'FAIL', f.pass ? '' : f.reason]);
    const header = ['rule', 'resource', 'result', 'reason'];
    const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...rows.map((r) => r[i].length))));
    lines.push(
      `${report.stack}: ${report.failures === 0 ? 'all rules pass' : `${report.failures} failure(s)`} (${report.findings.length} findings, ${RULES.length} rules)`,
    );
    for (const row of [header, ...rows])
      lines.push(
        row
          .map((cell, i) => cell.slice(0, 70).padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      );
    for (const s of report.suppressions) lines.push(`suppressed: ${s.rule} on ${s.resource}: ${s.reason}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** SARIF 2.1.0 for code scanning: one run, every rule described, one result per failed or suppressed finding. */
export function toSarif(reports: readonly StackReport[]): object {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'unicornhealth-policy',
            informationUri: 'https://github.com/unicornhealth/data-platform',
            rules: RULES.map((rule) => ({
              id: rule.id,
              name: rule.id.replace(/-/g, ''),
              shortDescription: { text: rule.title },
              properties: { resourceTypes: rule.resourceTypes, ...rule.sources },
            })),
          },
        },
        results: reports.flatMap((report) =>
          report.findings
            .filter((f) => !f.pass)
            .map((f) => ({
              ruleId: f.rule,
              level: f.suppressed ? 'note' : 'error',
              message: { text: `${report.stack}: ${f.resource}: ${f.reason}` },
              locations: [
                {
                  physicalLocation: { artifactLocation: { uri: `cdktf.out/stacks/${report.stack}/cdk.tf.json` } },
                  logicalLocations: [{ fullyQualifiedName: f.resource }],
                },
              ],
              ...(f.suppressed ? { suppressions: [{ kind: 'external', justification: f.suppressed.reason }] } : {}),
            })),
        ),
      },
    ],
  };
}
