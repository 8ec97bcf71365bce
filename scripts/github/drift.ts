import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../cli/errors';
import { DEFAULT_COMMENT_LENGTH, cutAtLines, fenceFor, lengthOf, renderPlanText, shareBudget } from '../policy/plan-summary';
import { Issue, IssuesApi } from './api';

/** Label and marker of the one drift issue: found by the label, recognised by the marker at the top of its body. */
export const DRIFT_LABEL = 'drift';
export const DRIFT_MARKER = '<!-- unicornhealth-drift -->';
export const DRIFT_TITLE = 'Deployed infrastructure differs from the code';

/** One stack's `terraform plan -detailed-exitcode`: 0 in sync, 2 changes, anything else the plan failed. */
export interface DriftResult {
  readonly stack: string;
  readonly exitCode: number;
  /** `terraform plan -no-color` output (or the error), shown in the issue. */
  readonly planText?: string;
}

export type StackState = 'in sync' | 'drift' | 'error';

export const stateOf = (result: DriftResult): StackState => (result.exitCode === 0 ? 'in sync' : result.exitCode === 2 ? 'drift' : 'error');

/** `Plan: 1 to add, 2 to change, 0 to destroy.` of a plan's text, if it has one. */
export function planLine(text: string | undefined): string | undefined {
  return /^(?:Plan: .*|No changes\..*|Changes to Outputs:)$/m.exec(text ?? '')?.[0];
}

/**
 * The results a drift job left in `dir`: one folder per stack holding `exitcode` (the plan's exit code) and
 * `plan.txt` (its output). A folder without `exitcode` is an input error: the plan never ran to the end.
 * An empty folder gives no results (see `withMissing`).
 */
export function readDriftResults(dir: string): DriftResult[] {
  if (!existsSync(dir)) throw new InputError(`${dir} does not exist: download the drift artifacts first`);
  const stacks = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return stacks.map((stack) => {
    const codeFile = join(dir, stack, 'exitcode');
    if (!existsSync(codeFile)) throw new InputError(`${codeFile} is missing: the plan of ${stack} did not finish`);
    const exitCode = Number(readFileSync(codeFile, 'utf8').trim());
    if (!Number.isInteger(exitCode)) throw new InputError(`${codeFile}: "${readFileSync(codeFile, 'utf8').trim()}" is not an exit code`);
    const planFile = join(dir, stack, 'plan.txt');
    return { stack, exitCode, ...(existsSync(planFile) ? { planText: readFileSync(planFile, 'utf8') } : {}) };
  });
}

/**
 * The results, with an error for every expected stack that left none: a job that failed before its plan (no
 * credentials, no init) must not make the report look in sync.
 */
export function withMissing(results: readonly DriftResult[], expected: readonly string[]): DriftResult[] {
  const missing = expected.filter((stack) => !results.some((r) => r.stack === stack));
  return [
    ...results,
    ...missing.map((stack) => ({ stack, exitCode: 1, planText: 'No result: the job of this stack failed before its plan (see its log).' })),
  ];
}

/** Overall: an error anywhere means the state is not known; otherwise drift anywhere is drift. */
export function overallState(results: readonly DriftResult[]): StackState {
  const states = results.map(stateOf);
  return states.includes('error') ? 'error' : states.includes('drift') ? 'drift' : 'in sync';
}

/** The issue body: a table of every stack, then each drifted or failed stack's plan, cut to fit an issue. */
export function renderDriftIssue(
  results: readonly DriftResult[],
  options: { readonly runUrl?: string; readonly checkedAt: Date; readonly maxLength?: number },
): string {
  const maxLength = options.maxLength ?? DEFAULT_COMMENT_LENGTH;
  const run = options.runUrl ? `[this run](${options.runUrl})` : 'the drift workflow';
  const head = [
    DRIFT_MARKER,
    `Checked ${options.checkedAt.toISOString().replace(/\.\d+Z$/, 'Z')} by ${run}: \`terraform plan -detailed-exitcode\` of every stack.`,
    '',
    '| stack | state | plan |',
    '| --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.stack} | ${stateOf(r)} | ${stateOf(r) === 'error' ? `plan failed (exit ${r.exitCode})` : (planLine(r.planText) ?? '')} |`,
    ),
    '',
    'A difference is either a change made outside Terraform (revert it, or bring it into the code) or a change of the',
    'default branch not released yet (the next release applies it). A failed plan means the state could not be',
    'compared: fix what its output says. Every daily check updates this issue; the first one that finds every stack',
    'in sync closes it.',
  ].join('\n');
  const shown = results.filter((r) => stateOf(r) !== 'in sync' && r.planText);
  const bodies = shown.map((r) => renderPlanText(r.planText!));
  const fences = bodies.map(fenceFor);
  const note = `_Cut to fit the issue; the whole output is in the artifacts of ${run}._`;
  const section = (stack: string, fence: string, body: string, cut: boolean): string =>
    [`<details><summary>${stack}</summary>`, '', `${fence}text`, body, fence, ...(cut ? ['', note] : []), '', '</details>'].join('\n');
  // What each section takes besides its body, with room for the note, and the blank lines between sections.
  const frames = shown.map((r, i) => lengthOf(section(r.stack, fences[i], '', true)) + 2);
  const budgets = shareBudget(
    bodies.map((body) => lengthOf(body)),
    maxLength - lengthOf(head) - frames.reduce((n, f) => n + f, 0),
  );
  const sections = shown.map((r, i) => {
    const cut = cutAtLines(bodies[i], budgets[i]);
    return section(r.stack, fences[i], cut.shown, cut.shownLines < cut.totalLines);
  });
  return [head, ...sections].join('\n\n');
}

export type DriftIssueOutcome =
  | { readonly action: 'opened' | 'updated' | 'closed'; readonly issue: number }
  | { readonly action: 'none'; readonly issue?: undefined };

/** The open drift issue: labelled `drift`, its body starting with the marker (the oldest, should there be two). */
async function openDriftIssue(issues: IssuesApi): Promise<Issue | undefined> {
  const open = await issues.listIssues(DRIFT_LABEL, 'open');
  return open.filter((issue) => issue.body.startsWith(DRIFT_MARKER)).sort((a, b) => a.number - b.number)[0];
}

/**
 * Keeps exactly one issue about drift: opens it (or updates the open one) while any stack drifts or cannot be
 * planned, and closes it with a comment once every stack is in sync. Nothing is done when all is in sync and no
 * issue is open.
 */
export async function reconcileDriftIssue(
  issues: IssuesApi,
  results: readonly DriftResult[],
  options: { readonly runUrl?: string; readonly checkedAt: Date },
): Promise<DriftIssueOutcome> {
  const existing = await openDriftIssue(issues);
  if (overallState(results) === 'in sync') {
    if (!existing) return { action: 'none' };
    const run = options.runUrl ? `[this run](${options.runUrl})` : 'the drift workflow';
    await issues.createComment(
      existing.number,
      `Every stack is in sync again (${results.map((r) => r.stack).join(', ')}), checked by ${run}.`,
    );
    await issues.updateIssue(existing.number, { state: 'closed', state_reason: 'completed' });
    return { action: 'closed', issue: existing.number };
  }
  const body = renderDriftIssue(results, options);
  const drifted = results.filter((r) => stateOf(r) !== 'in sync').map((r) => r.stack);
  const title = `${DRIFT_TITLE}: ${drifted.join(', ')}`;
  if (existing) {
    await issues.updateIssue(existing.number, { title, body });
    return { action: 'updated', issue: existing.number };
  }
  const created = await issues.createIssue({ title, body, labels: [DRIFT_LABEL] });
  return { action: 'opened', issue: created.number };
}
