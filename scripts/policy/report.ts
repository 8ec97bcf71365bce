import { join } from 'node:path';
import { formatTable, left, wrapped } from '../cli/output';
import { RULES } from './rules';
import { StackReport } from './evaluate';
import { ResourceSource, SourceLocation, SourceLocator, sourceLocator } from './construct-sources';

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

/**
 * Where a finding is shown when its stack was not synthesized where the locator looks: the file that builds every
 * stack. Code scanning needs a file of the repository; `cdktf.out/` is not one.
 */
export const SARIF_FALLBACK_LOCATION: SourceLocation = { file: 'stacks/app.ts', line: 1 };

const physicalLocation = (location: SourceLocation) => ({
  artifactLocation: { uri: location.file },
  region: { startLine: location.line },
});

/**
 * SARIF 2.1.0 for code scanning: one run, every rule described, one result per failed or suppressed finding. Each
 * result is located at the line of the construct code that creates the resource (`locate`, by default from the
 * synthesized stacks in `cdktf.out/stacks` and the code in `stacks/`), with the constructs around it as related
 * locations, so an alert opens on the code to change rather than on generated JSON.
 */
export function toSarif(reports: readonly StackReport[], locate: SourceLocator = sourceLocator(join('cdktf.out', 'stacks'))): object {
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
            .map((f) => {
              const source: ResourceSource | undefined = locate(report.stack, f.resource);
              return {
                ruleId: f.rule,
                level: f.suppressed ? 'note' : 'error',
                message: { text: `${report.stack}: ${f.resource}: ${f.reason}` },
                locations: [
                  {
                    physicalLocation: physicalLocation(source?.location ?? SARIF_FALLBACK_LOCATION),
                    logicalLocations: [{ fullyQualifiedName: f.resource, kind: 'resource' }],
                  },
                ],
                ...(source && source.chain.length > 1
                  ? {
                      relatedLocations: source.chain.slice(0, -1).map((step, id) => ({
                        id,
                        physicalLocation: physicalLocation(step.location),
                        message: { text: `creates ${step.path}` },
                      })),
                    }
                  : {}),
                properties: { stack: report.stack, ...(source ? { constructPath: source.constructPath } : {}) },
                ...(f.suppressed ? { suppressions: [{ kind: 'external', justification: f.suppressed.reason }] } : {}),
              };
            }),
        ),
      },
    ],
  };
}
