import { formatTable, left, right, wrapped } from '../cli/output';
import { Check, SmokeResult, StepName } from './steps';

/**
 * The smoke report a person reads: one summary line per step, then every failed check with what was expected and
 * what was found; with `verbose`, every check. Passing checks do not repeat their expected value.
 */
export function formatSmokeReport(result: SmokeResult, options: { verbose?: boolean; width?: number } = {}): string {
  const steps = [...new Set(result.checks.map((c) => c.step))];
  const byStep = (step: StepName): Check[] => result.checks.filter((c) => c.step === step);
  const summary = formatTable(
    [left('step'), right('checks'), right('passed'), right('failed'), right('seconds')],
    steps.map((step) => {
      const checks = byStep(step);
      const passed = checks.filter((c) => c.pass).length;
      return [
        step,
        String(checks.length),
        String(passed),
        String(checks.length - passed),
        Math.max(...checks.map((c) => c.seconds)).toFixed(2),
      ];
    }),
    options.width,
  );
  const sections = [summary];
  const failed = result.checks.filter((c) => !c.pass);
  if (options.verbose) {
    sections.push(
      formatTable(
        [left('step'), left('check'), left('result'), right('seconds'), wrapped('detail')],
        result.checks.map((c) => [
          c.step,
          c.check,
          c.pass ? 'pass' : 'FAIL',
          c.seconds.toFixed(2),
          c.pass ? c.actual : `expected ${c.expected}, found ${c.actual}`,
        ]),
        options.width,
      ),
    );
  } else if (failed.length > 0) {
    sections.push(
      formatTable(
        [left('failed step'), left('check'), wrapped('expected'), wrapped('found')],
        failed.map((c) => [c.step, c.check, c.expected, c.actual]),
        options.width,
      ),
    );
  }
  return sections.join('\n\n');
}

/** The closing line: how many checks passed, or how many failed and where the run stopped. */
export function smokeVerdict(result: SmokeResult, what: string): string {
  const failed = result.checks.filter((c) => !c.pass).length;
  if (result.ok) return `${what}: all ${result.checks.length} checks passed in ${result.seconds.toFixed(1)} s`;
  return `${what}: ${failed} of ${result.checks.length} checks failed${result.stopped ? `; stopped at ${result.stopped.step}: ${result.stopped.reason}` : ''}`;
}
