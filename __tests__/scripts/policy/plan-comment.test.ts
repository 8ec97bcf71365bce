import { StackReport } from '../../../scripts/policy/evaluate';
import {
  COMMENT_MARKER,
  DEFAULT_COMMENT_LENGTH,
  GITHUB_COMMENT_LIMIT,
  PlanSummary,
  cutAtLines,
  lengthOf,
  renderComment,
  renderPlanText,
  shareBudget,
  summarizePlan,
} from '../../../scripts/policy/plan-summary';

/** `terraform show -no-color` of a plan that creates `count` buckets (the shape Terraform prints). */
function showText(stack: string, count: number): string {
  const resources = Array.from({ length: count }, (_, i) =>
    [
      `  # aws_s3_bucket.${stack}_bucket_${i} will be created`,
      `  + resource "aws_s3_bucket" "${stack}_bucket_${i}" {`,
      `      + bucket        = "unicornhealth-${stack}-${i}"`,
      '      + force_destroy = false',
      '    }',
      '',
    ].join('\n'),
  );
  return [
    'Terraform used the selected providers to generate the following execution',
    'plan. Resource actions are indicated with the following symbols:',
    '  + create',
    '',
    'Terraform will perform the following actions:',
    '',
    ...resources,
    `Plan: ${count} to add, 0 to change, 0 to destroy.`,
  ].join('\n');
}

const summary = (stack: string, adds: number): PlanSummary => ({
  stack,
  adds,
  changes: 0,
  destroys: 0,
  replaces: 0,
  statefulDestroys: [],
  actions: [],
});
const passing = (stack: string): StackReport => ({ stack, findings: [], failures: 0, suppressions: [] });
const ARTIFACT = 'the artifacts `plan-<environment>` of [this run](https://github.com/o/r/actions/runs/1)';

describe('plan text', () => {
  test('is shown without colour codes, carriage returns, trailing spaces or outer blank lines', () => {
    expect(renderPlanText('\n\n\u001b[1m  # aws_s3_bucket.lake\u001b[0m will be created   \r\n  + bucket = "x"\r\n\n')).toBe(
      '  # aws_s3_bucket.lake will be created\n  + bucket = "x"',
    );
  });

  test('is cut at line boundaries, counting UTF-8 bytes and newlines', () => {
    expect(cutAtLines('aaa\nbbb\nccc', 7)).toEqual({ shown: 'aaa\nbbb', shownLines: 2, totalLines: 3 });
    expect(cutAtLines('aaa\nbbb\nccc', 6)).toEqual({ shown: 'aaa', shownLines: 1, totalLines: 3 });
    // "é" is two bytes: three of them do not fit in five.
    expect(cutAtLines('ééé\nx', 5)).toEqual({ shown: '', shownLines: 0, totalLines: 2 });
    expect(cutAtLines('', 10)).toEqual({ shown: '', shownLines: 0, totalLines: 0 });
  });

  test('shares the room: short plans whole, the long ones split what is left', () => {
    expect(shareBudget([100, 10_000, 50_000], 30_100)).toEqual([100, 10_000, 20_000]);
    expect(shareBudget([100, 40_000, 50_000], 30_100)).toEqual([100, 15_000, 15_000]);
    expect(shareBudget([100, 200], 1_000)).toEqual([100, 200]);
    expect(shareBudget([500, 500], -5)).toEqual([0, 0]);
  });
});

describe('the comment with the plans', () => {
  test('holds the summary first, then each plan whole in a collapsible block', () => {
    const dev = showText('dev', 3);
    const comment = renderComment([summary('unicornhealth-dev', 3)], [passing('unicornhealth-dev')], {
      statefulDestroyApproved: false,
      planTexts: [{ stack: 'unicornhealth-dev', text: dev }],
      fullPlanLocation: ARTIFACT,
    });
    expect(comment.startsWith(COMMENT_MARKER)).toBe(true);
    expect(comment.indexOf('| unicornhealth-dev | 3 | 0 | 0 | 0 |')).toBeLessThan(comment.indexOf('<details>'));
    expect(comment).toContain(
      '<details><summary>Plan of <code>unicornhealth-dev</code>: 3 to add, 0 to change, 0 to destroy</summary>\n\n```text\n',
    );
    expect(comment).toContain(`\n${dev}\n\`\`\`\n\n</details>`);
    expect(comment).not.toContain('Cut to fit');
  });

  test('huge plans are cut at line boundaries under GitHub’s limit, saying what was cut and where the full plan is', () => {
    const plans = [
      { stack: 'unicornhealth-account-nonprod', text: showText('account', 2) },
      { stack: 'unicornhealth-dev', text: showText('dev', 3_000) },
      { stack: 'unicornhealth-prod', text: showText('prod', 5_000) },
    ];
    const comment = renderComment(
      plans.map((p) => summary(p.stack, 1)),
      plans.map((p) => passing(p.stack)),
      { statefulDestroyApproved: false, planTexts: plans, fullPlanLocation: ARTIFACT },
    );
    expect(lengthOf(comment)).toBeLessThanOrEqual(DEFAULT_COMMENT_LENGTH);
    expect(DEFAULT_COMMENT_LENGTH).toBeLessThan(GITHUB_COMMENT_LIMIT);
    // Most of the room is used: the cut is not needlessly deep.
    expect(lengthOf(comment)).toBeGreaterThan(DEFAULT_COMMENT_LENGTH - 2_000);
    // The small plan is whole; the large ones are cut, each with its note.
    expect(comment).toContain(showText('account', 2));
    const devLines = showText('dev', 3_000).split('\n');
    const note = /_Cut to fit the comment: lines ([\d,]+)-([\d,]+) of ([\d,]+) are not shown\. The full plan is in (.+)\._/g;
    const notes = [...comment.matchAll(note)];
    expect(notes).toHaveLength(2);
    expect(notes[0][3]).toBe(devLines.length.toLocaleString('en-US'));
    expect(notes[0][4]).toBe(ARTIFACT);
    // What is shown of the dev plan is exactly its first lines, up to the line before the first one cut.
    const firstCut = Number(notes[0][1].replace(/,/g, ''));
    const block = comment.slice(comment.indexOf('unicornhealth-dev</code>'));
    const shown = block.slice(block.indexOf('```text\n') + 8, block.indexOf('\n```\n'));
    expect(shown).toBe(devLines.slice(0, firstCut - 1).join('\n'));
  });

  test.each([2_000, 10_000, 65_000, 1_000_000])('stays within %i bytes whatever the plans', (maxLength) => {
    const plans = [
      { stack: 'a', text: showText('a', 40) },
      { stack: 'b', text: `${'é'.repeat(300)}\n`.repeat(2_000) },
      { stack: 'c', text: showText('c', 12_000) },
    ];
    const comment = renderComment(
      plans.map((p) => summary(p.stack, 1)),
      [],
      { statefulDestroyApproved: false, planTexts: plans, maxLength },
    );
    expect(lengthOf(comment)).toBeLessThanOrEqual(maxLength);
    expect(comment.startsWith(COMMENT_MARKER)).toBe(true);
  });

  test('a plan holding backticks cannot close its code block early', () => {
    const text = 'policy = <<-EOT\n  ```json\n  {}\n  ```\nEOT';
    const comment = renderComment([summary('s', 1)], [], { statefulDestroyApproved: false, planTexts: [{ stack: 's', text }] });
    expect(comment).toContain(`\`\`\`\`text\n${text}\n\`\`\`\`\n`);
  });

  test('a summary that alone is too long is cut and says so', () => {
    const failing: StackReport = {
      stack: 'unicornhealth-dev',
      findings: Array.from({ length: 2_000 }, (_, i) => ({
        rule: 'UH-S3-001',
        resource: `aws_s3_bucket.b${i}`,
        pass: false,
        reason: 'no key',
      })),
      failures: 2_000,
      suppressions: [],
    };
    const comment = renderComment([summary('unicornhealth-dev', 1)], [failing], {
      statefulDestroyApproved: false,
      planTexts: [{ stack: 'unicornhealth-dev', text: showText('dev', 10) }],
      fullPlanLocation: ARTIFACT,
    });
    expect(lengthOf(comment)).toBeLessThanOrEqual(DEFAULT_COMMENT_LENGTH);
    expect(comment).toMatch(/_Cut to fit the comment; the full summary and plans are in the artifacts/);
    expect(comment).not.toContain('<details>');
  });
});

describe('stateful destroys', () => {
  const plan = (changes: [string, string[]][]) => ({
    resource_changes: changes.map(([address, actions]) => ({ address, type: address.split('.')[0], mode: 'managed', change: { actions } })),
  });

  test.each([
    'aws_db_instance.database_instance',
    'aws_s3_bucket.storage_lake_bucket',
    'aws_kms_key.logs-key',
    'aws_secretsmanager_secret.migration_source-secret',
    'aws_cloudwatch_log_group.database_log-audit',
    'aws_glue_catalog_database.catalog_database',
    'aws_glue_catalog_table.current-state_table-patient',
    'aws_glue_catalog_table.catalog_change-log-patient',
    'aws_redshiftserverless_namespace.warehouse_namespace',
  ])('destroying or replacing %s is one, with what it loses', (address) => {
    for (const actions of [['delete'], ['delete', 'create'], ['create', 'delete']]) {
      const [destroy] = summarizePlan('s', plan([[address, actions]])).statefulDestroys;
      expect(destroy).toMatchObject({ address, action: actions.length === 1 ? 'delete' : 'replace' });
      expect(destroy.loses).not.toBe('');
    }
  });

  test.each([
    'aws_dms_replication_instance.migration_instance',
    'aws_lakeformation_permissions.governance_analyst-table-patient',
    'aws_athena_workgroup.catalog_workgroup',
    'aws_iam_role.migration_target-role',
  ])('destroying %s is not: it holds no data or audit history of its own', (address) => {
    expect(summarizePlan('s', plan([[address, ['delete']]])).statefulDestroys).toEqual([]);
  });

  test('an update or a create of a stateful resource is not a destroy', () => {
    expect(
      summarizePlan(
        's',
        plan([
          ['aws_s3_bucket.a', ['update']],
          ['aws_kms_key.b', ['create']],
          ['aws_db_instance.c', ['no-op']],
        ]),
      ).statefulDestroys,
    ).toEqual([]);
  });
});
