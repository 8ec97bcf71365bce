import { formatTable, left, wrapped } from '../cli/output';
import { CheckResult, PreflightReport } from './checks';

/** How a check's outcome reads in the table. */
export function resultLabel(check: CheckResult): string {
  if (check.ok === true) return 'pass';
  if (check.ok === false) return check.error ? 'ERROR' : 'FAIL';
  return check.ok;
}

/** The closing line: the environment, who ran it, and the counts. */
export function preflightVerdict(report: PreflightReport): string {
  const { passed, failed, errors, warnings, skipped } = report.counts;
  const parts = [
    `${passed} passed`,
    `${failed} failed`,
    ...(errors > 0 ? [`${errors} could not run`] : []),
    `${warnings} warning${warnings === 1 ? '' : 's'}`,
    `${skipped} skipped`,
  ];
  const status = report.exitCode === 0 ? 'ready' : report.exitCode === 3 ? 'not checked' : 'NOT ready';
  return `preflight ${report.environment} (${report.accountId}, ${report.region}, as ${report.caller.arn}): ${status}: ${parts.join(', ')}`;
}

/**
 * The report a person reads: the failures, errors and warnings with their evidence and fix, then the verdict;
 * with `verbose`, every check (passes and skips too).
 */
export function formatPreflightReport(report: PreflightReport, options: { verbose?: boolean; width?: number } = {}): string {
  const shown = options.verbose ? report.checks : report.checks.filter((c) => c.ok === false || c.ok === 'warning');
  const sections: string[] = [];
  if (shown.length > 0) {
    sections.push(
      formatTable(
        [left('check'), left('result'), wrapped('evidence'), wrapped('fix')],
        shown.map((c) => [c.id, resultLabel(c), c.evidence, c.ok === true ? '' : (c.fix ?? '')]),
        options.width,
      ),
    );
  }
  sections.push(preflightVerdict(report));
  return sections.join('\n\n');
}
