/* eslint-disable @typescript-eslint/no-explicit-any */
import { StackReport } from './evaluate';

/** Resources whose destruction loses data or locks it away: a plan that destroys or replaces one needs approval. */
export const STATEFUL_TYPES = [
  'aws_db_instance',
  'aws_s3_bucket',
  'aws_kms_key',
  'aws_redshiftserverless_namespace',
  'aws_secretsmanager_secret',
] as const;

export interface ResourceAction {
  readonly address: string;
  readonly type: string;
  /** create, update, delete, replace, read or no-op. */
  readonly action: string;
}

export interface PlanSummary {
  readonly stack: string;
  readonly adds: number;
  readonly changes: number;
  readonly destroys: number;
  readonly replaces: number;
  /** Destroys and replacements of stateful resources, the first thing a reviewer must see. */
  readonly statefulDestroys: ResourceAction[];
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
    statefulDestroys: actions.filter(
      (a) => (STATEFUL_TYPES as readonly string[]).includes(a.type) && (a.action === 'delete' || a.action === 'replace'),
    ),
    actions,
  };
}

/** Marker that lets the workflow find and update its one comment instead of adding another. */
export const COMMENT_MARKER = '<!-- unicornhealth-plan-summary -->';

/** The pull-request comment: stateful destroys first, then each plan's counts, then the policy failures. */
export function renderComment(
  summaries: readonly PlanSummary[],
  policy: readonly StackReport[],
  options: { statefulDestroyApproved: boolean },
): string {
  const lines = [COMMENT_MARKER, '## Terraform plan', ''];
  const stateful = summaries.flatMap((s) => s.statefulDestroys.map((d) => ({ ...d, stack: s.stack })));
  if (stateful.length > 0) {
    lines.push(
      `> [!CAUTION]`,
      `> **${stateful.length} stateful resource(s) would be destroyed or replaced**${options.statefulDestroyApproved ? ' (approved with the `allow-stateful-destroy` label)' : ' — add the `allow-stateful-destroy` label only if that is intended'}:`,
    );
    for (const d of stateful) lines.push(`> - \`${d.stack}\`: **${d.action}** \`${d.address}\``);
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
  return lines.join('\n');
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
