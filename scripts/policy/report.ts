import { formatTable, left, wrapped } from '../cli/output';
import { RULES } from './rules';
import { StackReport } from './evaluate';

/**
 * The policy report: a summary line per stack, then the findings that failed (or were suppressed), with their full
 * resource addresses; with `verbose`, every finding. Reasons wrap to the terminal; addresses are never cut.
 */
export function formatReports(reports: readonly StackReport[], options: { verbose?: boolean; width?: number } = {}): string {
  const sections: string[] = [];
  for (const report of reports) {
    const suppressed = report.findings.filter((f) => !f.pass && f.suppressed).length;
    sections.push(
      `${report.stack}: ${report.failures === 0 ? 'all rules pass' : `${report.failures} failure(s)`} ` +
        `(${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} of ${RULES.length} rules${suppressed ? `, ${suppressed} suppressed` : ''})`,
    );
    const shown = report.findings.filter((f) => options.verbose || !f.pass);
    if (shown.length > 0) {
      sections.push(
        formatTable(
          [left('rule'), left('resource'), left('result'), wrapped('reason')],
          shown.map((f) => [f.rule, f.resource, f.pass ? 'pass' : f.suppressed ? 'suppressed' : 'FAIL', f.pass ? '' : f.reason]),
          options.width,
        ),
      );
    }
    for (const s of report.suppressions) sections.push(`suppressed: ${s.rule} on ${s.resource}: ${s.reason}`);
    sections.push('');
  }
  return sections.join('\n').trimEnd();
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
              // An AWS service constraint links the page that states it; every source stays in the properties.
              ...(rule.sources.aws?.length ? { helpUri: rule.sources.aws[0] } : {}),
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
