/* eslint-disable @typescript-eslint/no-explicit-any */
import { StackReport } from './evaluate';

/**
 * Resources whose destruction loses data or audit history, with what is lost: a plan that destroys or replaces one
 * needs approval. Left out on purpose, because destroying them loses nothing that is not kept elsewhere or rebuilt
 * from code: the DMS replication instance (its storage holds only changes in flight and task logs; the source stays
 * in RDS, the copy in S3, the logs in log groups), Lake Formation grants, the Athena workgroup (query history is
 * not the audit record, CloudTrail is; results live in their bucket), state machines (their history is in their
 * log groups), IAM, networking and alarms.
 */
export const STATEFUL_RESOURCES: Readonly<Record<string, string>> = {
  aws_db_instance: "the clinic's records (a final snapshot is kept only where config says so)",
  aws_s3_bucket: 'lake data, query results or access logs',
  aws_kms_key: 'the key that decrypts data, backups and logs: unrecoverable once its deletion window ends',
  aws_secretsmanager_secret: 'credentials that running services read',
  aws_cloudwatch_log_group: 'audit history: database audit, error and slow-query logs, flow logs, DMS and merge logs',
  aws_glue_catalog_database: 'the catalog database and every table definition in it',
  aws_glue_catalog_table:
    'a table: an Iceberg current table loses its metadata pointer (its state); a change-log table its definition and grants',
  aws_redshiftserverless_namespace: "the warehouse's databases and snapshots",
};

export const STATEFUL_TYPES: readonly string[] = Object.keys(STATEFUL_RESOURCES);

export interface ResourceAction {
  readonly address: string;
  readonly type: string;
  /** create, update, delete, replace, read or no-op. */
  readonly action: string;
}

/** A destroy or replacement of a resource that holds data or audit history, and what it would lose. */
export interface StatefulDestroy extends ResourceAction {
  readonly loses: string;
}

export interface PlanSummary {
  readonly stack: string;
  readonly adds: number;
  readonly changes: number;
  readonly destroys: number;
  readonly replaces: number;
  /** Destroys and replacements of stateful resources, the first thing a reviewer must see. */
  readonly statefulDestroys: StatefulDestroy[];
  readonly actions: ResourceAction[];
}

const actionOf = (actions: string[]): string => {
  if (actions.includes('delete') && actions.includes('create')) return 'replace';
  return actions.length === 1 ? actions[0] : actions.join('+');
};

/** Counts a `terraform show -json` plan the way `terraform plan` prints it, and finds stateful destroys. */
export function summarizePlan(stack: string, plan: any): PlanSummary {
  const actions: ResourceAction[] = (plan.resource_changes ?? [])
    .filter((c: any) => c.mode === 'managed')
    .map((c: any) => ({ address: c.address, type: c.type, action: actionOf(c.change.actions) }));
  const count = (action: string): number => actions.filter((a) => a.action === action).length;
  const replaces = count('replace');
  return {
    stack,
    adds: count('create') + replaces,
    changes: count('update'),
    destroys: count('delete') + replaces,
    replaces,
    statefulDestroys: actions
      .filter((a) => a.type in STATEFUL_RESOURCES && (a.action === 'delete' || a.action === 'replace'))
      .map((a) => ({ ...a, loses: STATEFUL_RESOURCES[a.type] })),
    actions,
  };
}

/** Marker that lets the workflow find and update its one comment instead of adding another. */
export const COMMENT_MARKER = '<!-- unicornhealth-plan-summary -->';

/** GitHub refuses an issue or pull-request comment longer than this (characters; counted here in UTF-8 bytes, never fewer). */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Room kept below the limit by default, for what GitHub may count differently. */
export const DEFAULT_COMMENT_LENGTH = GITHUB_COMMENT_LIMIT - 1_024;

/** Length as the limits are checked here: UTF-8 bytes, which is never less than GitHub's character count. */
export const lengthOf = (text: string): number => Buffer.byteLength(text, 'utf8');

/** A stack's plan as `terraform show -no-color plan.tfplan` prints it. */
export interface PlanText {
  readonly stack: string;
  readonly text: string;
}

/** Plan text as it is shown: colour codes and carriage returns removed, trailing spaces and outer blank lines dropped. */
export function renderPlanText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;]*m/g, '')
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .replace(/^\n+|\n+$/g, '')
  );
}

/** The first whole lines of `text` that fit in `budget` (UTF-8 bytes, newlines counted), and how many were left out. */
export function cutAtLines(
  text: string,
  budget: number,
): { readonly shown: string; readonly shownLines: number; readonly totalLines: number } {
  const lines = text === '' ? [] : text.split('\n');
  let used = 0;
  let shownLines = 0;
  for (const line of lines) {
    const cost = lengthOf(line) + (shownLines > 0 ? 1 : 0);
    if (used + cost > budget) break;
    used += cost;
    shownLines += 1;
  }
  return { shown: lines.slice(0, shownLines).join('\n'), shownLines, totalLines: lines.length };
}

/** A code fence longer than any run of backticks in the text, so the plan cannot close it early. */
export function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const counts = (s: PlanSummary | undefined): string => (s ? `${s.adds} to add, ${s.changes} to change, ${s.destroys} to destroy` : 'plan');

/** The note under a cut plan: which lines are missing and where the whole plan is. */
const cutNote = (shownLines: number, totalLines: number, fullPlan: string): string =>
  `_Cut to fit the comment: lines ${(shownLines + 1).toLocaleString('en-US')}-${totalLines.toLocaleString('en-US')} of ` +
  `${totalLines.toLocaleString('en-US')} are not shown. The full plan is in ${fullPlan}._`;

/** The widest note a cut can need, reserved in every section so that cutting never overflows. */
const WIDEST_NOTE = (fullPlan: string): number => lengthOf(cutNote(9_999_999, 9_999_999, fullPlan)) + 2;

/** One stack's plan in a collapsible block, its body cut to `budget` at a line boundary. */
function planSection(stack: string, summary: PlanSummary | undefined, body: string, budget: number, fullPlan: string): string {
  const fence = fenceFor(body);
  const cut = cutAtLines(body, budget);
  const lines = [
    `<details><summary>Plan of <code>${escapeHtml(stack)}</code>: ${counts(summary)}</summary>`,
    '',
    `${fence}text`,
    ...(cut.shown === '' ? [] : [cut.shown]),
    fence,
    ...(cut.shownLines < cut.totalLines ? ['', cutNote(cut.shownLines, cut.totalLines, fullPlan)] : []),
    '',
    '</details>',
  ];
  return lines.join('\n');
}

/**
 * Shares `available` bytes between texts: each gets what it needs up to an equal share of what is left, so short
 * plans are shown whole and the long ones split the rest.
 */
export function shareBudget(needs: readonly number[], available: number): number[] {
  const shares = needs.map(() => 0);
  let left = Math.max(0, available);
  const order = needs.map((need, i) => ({ need, i })).sort((a, b) => a.need - b.need);
  order.forEach(({ need, i }, position) => {
    const share = Math.floor(left / (order.length - position));
    shares[i] = Math.min(need, share);
    left -= shares[i];
  });
  return shares;
}

export interface CommentOptions {
  readonly statefulDestroyApproved: boolean;
  /** The plans as text, shown in collapsible blocks after the summary. */
  readonly planTexts?: readonly PlanText[];
  /** Where the whole plans are (Markdown), named when one is cut. */
  readonly fullPlanLocation?: string;
  /** Upper bound on the comment's length in UTF-8 bytes. @default DEFAULT_COMMENT_LENGTH */
  readonly maxLength?: number;
}

/** The summary part of the comment: stateful destroys first, then each plan's counts, then the policy failures. */
function summaryLines(summaries: readonly PlanSummary[], policy: readonly StackReport[], approved: boolean): string[] {
  const lines = [COMMENT_MARKER, '## Terraform plan', ''];
  const stateful = summaries.flatMap((s) => s.statefulDestroys.map((d) => ({ ...d, stack: s.stack })));
  if (stateful.length > 0) {
    lines.push(
      `> [!CAUTION]`,
      `> **${stateful.length} stateful resource(s) would be destroyed or replaced**${approved ? ' (approved with the `allow-stateful-destroy` label)' : ' — add the `allow-stateful-destroy` label only if that is intended'}:`,
    );
    for (const d of stateful) lines.push(`> - \`${d.stack}\`: **${d.action}** \`${d.address}\` (loses ${d.loses})`);
    lines.push('');
  }
  lines.push('| stack | add | change | destroy | of which replace |', '| --- | ---: | ---: | ---: | ---: |');
  for (const s of summaries) lines.push(`| ${s.stack} | ${s.adds} | ${s.changes} | ${s.destroys} | ${s.replaces} |`);
  lines.push('', '## Policy checks', '');
  for (const report of policy) {
    const failures = report.findings.filter((f) => !f.pass && !f.suppressed);
    lines.push(`**${report.stack}**: ${failures.length === 0 ? 'all rules pass' : `${failures.length} failure(s)`}`);
    if (failures.length > 0) {
      lines.push('', '| rule | resource | reason |', '| --- | --- | --- |');
      for (const f of failures) lines.push(`| ${f.rule} | \`${f.resource}\` | ${f.reason} |`);
    }
    for (const s of report.suppressions) lines.push(`- suppressed ${s.rule} on \`${s.resource}\`: ${s.reason}`);
    lines.push('');
  }
  return lines;
}

/**
 * The pull-request comment (or a step summary): the summary, then each plan's text in a collapsible block. The
 * whole stays within `maxLength`: the plans share what the summary leaves, each cut at a line boundary with a note
 * saying which lines are missing and where the full plan is. A summary that alone is too long (thousands of policy
 * failures) is cut the same way and the plans are left out.
 */
export function renderComment(summaries: readonly PlanSummary[], policy: readonly StackReport[], options: CommentOptions): string {
  const maxLength = options.maxLength ?? DEFAULT_COMMENT_LENGTH;
  const fullPlan = options.fullPlanLocation ?? 'the artifacts of this workflow run';
  const head = summaryLines(summaries, policy, options.statefulDestroyApproved).join('\n');
  const plans = (options.planTexts ?? []).map((p) => ({ stack: p.stack, body: renderPlanText(p.text) }));
  if (plans.length === 0) return fitSummary(head, maxLength, fullPlan);

  const summaryOf = (stack: string) => summaries.find((s) => s.stack === stack);
  const title = '## Plans';
  // Everything but the plan bodies: each section empty, plus its longer fences, the body's newline and the widest
  // cut note; then the title and the newlines that join it all.
  const frame = plans.map(
    (p) =>
      lengthOf(planSection(p.stack, summaryOf(p.stack), '', 0, fullPlan)) +
      2 * (lengthOf(fenceFor(p.body)) - 3) +
      1 +
      WIDEST_NOTE(fullPlan),
  );
  const fixed = lengthOf(head) + lengthOf(title) + 3 + frame.reduce((n, f) => n + f, 0) + 2 * (plans.length - 1);
  if (fixed > maxLength) return fitSummary(head, maxLength, fullPlan);
  const budgets = shareBudget(
    plans.map((p) => lengthOf(p.body)),
    maxLength - fixed,
  );
  const sections = plans.map((p, i) => planSection(p.stack, summaryOf(p.stack), p.body, budgets[i], fullPlan));
  return [head, title, '', sections.join('\n\n')].join('\n');
}

/** The summary alone, cut at a line boundary if even it does not fit. */
function fitSummary(head: string, maxLength: number, fullPlan: string): string {
  if (lengthOf(head) <= maxLength) return head;
  const note = `\n\n_Cut to fit the comment; the full summary and plans are in ${fullPlan}._`;
  return `${cutAtLines(head, maxLength - lengthOf(note)).shown}${note}`;
}

/** Whether the check must fail: any policy failure, or a stateful destroy nobody approved. */
export function verdict(
  summaries: readonly PlanSummary[],
  policy: readonly StackReport[],
  statefulDestroyApproved: boolean,
): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const failures = policy.reduce((n, r) => n + r.failures, 0);
  if (failures > 0) reasons.push(`${failures} policy failure(s)`);
  const stateful = summaries.reduce((n, s) => n + s.statefulDestroys.length, 0);
  if (stateful > 0 && !statefulDestroyApproved) reasons.push(`${stateful} unapproved destroy(s) of stateful resources`);
  return { ok: reasons.length === 0, reasons };
}
