import { dev, prod } from '../../config/environments';
import { EnvironmentEstimate, TerraformJson, estimateEnvironment, executionPath, runsPerMonth } from '../../config/cost-model';
import { HOURS_PER_MONTH, INSTANCE_HOURLY, PRICES } from '../../config/prices';
import { EnvironmentConfig } from '../../config/types';
import { budgetWarnings } from '../../config/validate';
import { REBUILD_INPUT, mergeStateMachineDefinition } from '../../stacks/core/athena-workflows';
import { CLINIC_TABLES } from '../../contract/clinic';

/** A synthetic stack of the given resources, by type and id. */
const stack = (resources: Record<string, Record<string, TerraformJson>>): TerraformJson => ({ resource: resources });
const config: EnvironmentConfig = {
  ...dev,
  usage: { releasesPerMonth: 3, warehouseRpuHoursPerMonth: 0, athenaBytesScannedPerMonth: 0, logGbPerMonth: 0, storedGb: 0 },
};
const estimate = (resources: Record<string, Record<string, TerraformJson>>, cfg: EnvironmentConfig = config): EnvironmentEstimate =>
  estimateEnvironment({ config: cfg, stack: stack(resources), stackName: 'test' });
const monthly = (e: EnvironmentEstimate, section: 'atRest' | 'activity' = 'atRest'): [string, number][] =>
  e[section].lines.map((l) => [l.item, l.monthlyUsd]);

describe('the cost model', () => {
  test('an RDS instance: class hours, gp3 storage, both doubled for Multi-AZ, and the managed master secret', () => {
    const db = {
      engine_version: '8.4',
      instance_class: 'db.t4g.micro',
      allocated_storage: 20,
      multi_az: false,
      manage_master_user_password: true,
    };
    expect(monthly(estimate({ aws_db_instance: { db } }))).toEqual([
      ['RDS MySQL 8.4 db.t4g.micro, Single-AZ', 11.68],
      ['RDS gp3 storage, Single-AZ', 2.3],
      ['Secrets Manager, RDS-managed master secret', 0.4],
    ]);
    const multi = estimate({ aws_db_instance: { db: { ...db, multi_az: true, manage_master_user_password: false } } });
    expect(monthly(multi)).toEqual([
      ['RDS MySQL 8.4 db.t4g.micro, Multi-AZ', 23.36],
      ['RDS gp3 storage, Multi-AZ', 4.6],
    ]);
  });

  test('MySQL 8.0 in Extended Support bills every vCPU of every copy; 8.4 and a disabled lifecycle do not', () => {
    const db = { instance_class: 'db.m7g.large', allocated_storage: 50, multi_az: true };
    const extended = estimate({
      aws_db_instance: { db: { ...db, engine_version: '8.0', engine_lifecycle_support: 'open-source-rds-extended-support' } },
    });
    expect(extended.atRest.lines.find((l) => l.item.startsWith('RDS Extended Support'))).toMatchObject({
      quantity: HOURS_PER_MONTH * 2 * 2,
      monthlyUsd: 292,
    });
    for (const lifecycle of [
      { engine_version: '8.4', engine_lifecycle_support: 'open-source-rds-extended-support-disabled' },
      { engine_version: '8.0', engine_lifecycle_support: 'open-source-rds-extended-support-disabled' },
    ]) {
      expect(estimate({ aws_db_instance: { db: { ...db, ...lifecycle } } }).atRest.lines.map((l) => l.item)).not.toContainEqual(
        expect.stringMatching(/Extended Support/),
      );
    }
  });

  test('a class without a price is an error that says where to add it', () => {
    expect(() =>
      estimate({ aws_db_instance: { db: { engine_version: '8.4', instance_class: 'db.x2g.16xlarge', allocated_storage: 20 } } }),
    ).toThrow(/no rds price for db.x2g.16xlarge: add it to INSTANCE_HOURLY in config\/prices.ts/);
  });

  test('a DMS replication instance bills at rest; a serverless replication bills per release, with the 48 hours DMS keeps it', () => {
    const instance = estimate({
      aws_dms_replication_instance: { i: { replication_instance_class: 'dms.t3.medium', allocated_storage: 50, multi_az: true } },
    });
    expect(monthly(instance)).toEqual([
      ['DMS dms.t3.medium, Multi-AZ', round(2 * HOURS_PER_MONTH * INSTANCE_HOURLY.dms['dms.t3.medium'].usd)],
      ['DMS replication instance storage', 11.5],
    ]);
    expect(instance.activity.lines).toEqual([]);
    const serverless = estimate({
      aws_dms_replication_config: { r: { compute_config: [{ max_capacity_units: 2, min_capacity_units: 1, multi_az: false }] } },
    });
    expect(serverless.atRest.lines).toEqual([]);
    const [load] = serverless.activity.lines;
    expect(load).toMatchObject({ item: 'DMS Serverless full load (2 DCU), 3 releases', quantity: 3 * 2 * 48.25 });
    expect(load.monthlyUsd).toBe(round(3 * 2 * 48.25 * PRICES.dmsServerless.usd));
    expect(serverless.activity.perReleaseUsd).toBe(round(2 * 48.25 * PRICES.dmsServerless.usd));
  });

  test('interface endpoints bill per AZ; the S3 gateway endpoint is free', () => {
    const e = estimate({
      aws_vpc_endpoint: {
        secrets: { vpc_endpoint_type: 'Interface', service_name: 'com.amazonaws.us-east-1.secretsmanager', subnet_ids: ['a'] },
        glue: { vpc_endpoint_type: 'Interface', service_name: 'com.amazonaws.us-east-1.glue', subnet_ids: ['a', 'b', 'c'] },
        s3: { vpc_endpoint_type: 'Gateway', service_name: 'com.amazonaws.us-east-1.s3' },
      },
    });
    expect(monthly(e)).toEqual([
      ['Interface endpoint glue (3 AZs)', 21.9],
      ['Interface endpoint secretsmanager (1 AZ)', 7.3],
    ]);
  });

  test('a NAT gateway and its address bill by the hour', () => {
    expect(monthly(estimate({ aws_nat_gateway: { nat: {} }, aws_eip: { ip: {} } }))).toEqual([
      ['NAT gateway', 32.85],
      ['Public IPv4 address', 3.65],
    ]);
  });

  test('the access host: its type and volume from the launch template, and detailed monitoring', () => {
    const e = estimate({
      aws_launch_template: {
        host: { instance_type: 't4g.nano', block_device_mappings: [{ ebs: [{ volume_size: 8 }] }] },
      },
      aws_instance: { host: { launch_template: [{ id: '${aws_launch_template.host.id}' }], monitoring: true } },
    });
    expect(monthly(e)).toEqual([
      ['EC2 t4g.nano', 3.07],
      ['EC2 detailed monitoring', 2.1],
      ['EBS gp3 root volume', 0.64],
    ]);
  });

  test('keys, secrets, alarms (named by the resources they name) and the Redshift admin secret bill by the month', () => {
    const e = estimate({
      aws_kms_key: { lake: { description: 'UnicornHealth data lake: S3' } },
      aws_secretsmanager_secret: { dms: { name: 'dev/dms/source' } },
      aws_sfn_state_machine: { merge: { name: 'dev-merge', definition: '{}' } },
      aws_cloudwatch_metric_alarm: { failed: { alarm_name: '${aws_sfn_state_machine.merge.name}-failed' } },
      aws_redshiftserverless_namespace: { ns: { manage_admin_password: true } },
    });
    expect(monthly(e)).toEqual([
      ['KMS key UnicornHealth data lake', 1],
      ['Secrets Manager, dev/dms/source', 0.4],
      ['Secrets Manager, Redshift-managed admin secret', 0.4],
      ['CloudWatch alarm dev-merge-failed', 0.1],
    ]);
  });

  test('logs and storage come from usage: a month ingested, a year kept, the stored GB', () => {
    const withVolume = { ...config, logRetentionDays: 365, usage: { ...config.usage, logGbPerMonth: 2, storedGb: 10 } };
    const e = estimate({ aws_cloudwatch_log_group: { flow: {} }, aws_s3_bucket: { lake: {} } }, withVolume);
    expect(monthly(e)).toEqual([
      ['CloudWatch Logs ingestion (1 log groups)', 1],
      ['CloudWatch Logs storage', 0.72],
      ['S3 Standard storage (1 buckets)', 0.23],
    ]);
  });

  test('a release: a crawl of every crawler at the 10-minute minimum, the smoke checks in Redshift and Athena', () => {
    const e = estimate({
      aws_glue_crawler: { a: {}, b: {} },
      aws_redshiftserverless_workgroup: { wg: { base_capacity: 8 } },
      aws_athena_workgroup: { readers: {} },
      aws_glue_catalog_table: { t1: {}, t2: {} },
    });
    expect(e.activity.lines.map((l) => [l.item, l.quantity])).toEqual([
      ['Redshift Serverless, smoke checks, 3 releases', round3((3 * (8 * 10)) / 60)],
      ['Glue crawls (2 crawlers), 3 releases', round3((3 * (2 * 2 * 10)) / 60)],
      ['Athena, smoke checks, 3 releases', round3((3 * 2 * 4 * 10e6) / 1e12)],
    ]);
  });

  test('people’s queries come from usage', () => {
    const busy = { ...config, usage: { ...config.usage, warehouseRpuHoursPerMonth: 30, athenaBytesScannedPerMonth: 2e12 } };
    const e = estimate({ aws_redshiftserverless_workgroup: { wg: { base_capacity: 8 } } }, busy);
    expect(monthly(e, 'activity')).toContainEqual(['Redshift Serverless, people’s queries', 11.25]);
    expect(monthly(e, 'activity')).toContainEqual(['Athena, people’s queries', 10]);
  });

  test.each([
    ['rate(10 minutes)', (365 / 12) * 24 * 6],
    ['rate(1 hour)', (365 / 12) * 24],
    ['cron(30 4 * * ? *)', 365 / 12],
    ['cron(0 */6 * * ? *)', (365 / 12) * 4],
    ['cron(0 3 ? * MON-FRI *)', ((365 / 12) * 5) / 7],
    ['cron(0 3 1,15 * ? *)', 2],
  ])('%s runs %d times a month', (expression, runs) => {
    expect(runsPerMonth(expression)).toBeCloseTo(runs, 6);
  });

  test('the merge’s happy path: a rebuild empties and merges every table, an incremental run only merges', () => {
    const definition = mergeStateMachineDefinition({ tables: CLINIC_TABLES, changesDatabase: 'c', currentDatabase: 'd', workgroup: 'w' });
    const n = CLINIC_TABLES.length;
    // Rebuild? + (parallel + an empty per table) + (parallel + five states per table) + three closing states.
    expect(executionPath(definition, REBUILD_INPUT)).toEqual({ transitions: 1 + (1 + n) + (1 + 5 * n) + 3, athenaQueries: 3 * n });
    expect(executionPath(definition, {})).toEqual({ transitions: 1 + (1 + 5 * n) + 3, athenaQueries: 2 * n });
  });

  test('a schedule bills its runs: Athena at the 10 MB minimum, the S3 requests, and Step Functions beyond the free 4,000 transitions', () => {
    const definition = mergeStateMachineDefinition({
      tables: CLINIC_TABLES.slice(0, 1),
      changesDatabase: 'c',
      currentDatabase: 'd',
      workgroup: 'w',
    });
    const e = estimate({
      aws_sfn_state_machine: { merge: { name: 'merge', definition: JSON.stringify(definition) } },
      aws_scheduler_schedule: {
        merge: { schedule_expression: 'rate(1 hour)', target: [{ arn: '${aws_sfn_state_machine.merge.arn}', input: '{}' }] },
      },
    });
    const runs = (365 / 12) * 24;
    const path = executionPath(definition, {});
    const items = Object.fromEntries(e.atRest.lines.map((l) => [`${l.item} ${l.unit}`, l.quantity]));
    expect(items['Athena, merge TB']).toBeCloseTo((runs * path.athenaQueries * 10e6) / 1e12, 3);
    expect(items['S3 requests, merge PUT requests']).toBeCloseTo(runs * path.athenaQueries * 5, 0);
    expect(items['Step Functions state transitions of the schedules transitions']).toBe(
      Math.max(0, round3(runs * path.transitions - 4000)),
    );
  });

  test('an unknown resource type is reported as not priced, never silently free', () => {
    expect(estimate({ aws_opensearch_domain: { search: {} }, aws_iam_role: { r: {} } }).unpriced).toEqual(['aws_opensearch_domain']);
  });

  test('the account baseline is shared among the account’s environments', () => {
    const e = estimateEnvironment({
      config,
      stack: stack({}),
      stackName: 'test',
      baseline: { stack: stack({ aws_kms_key: { catalog: { description: 'Catalog: metadata' } } }), share: 0.5 },
    });
    expect(monthly(e)).toEqual([['KMS key Catalog (account baseline, 50%)', 0.5]]);
  });

  test('the totals: at rest, the month’s activity, and the expected month', () => {
    const e = estimate({ aws_kms_key: { a: {}, b: {} }, aws_glue_crawler: { c: {} } });
    expect(e.atRest.totalUsd).toBe(2);
    expect(e.activity.totalUsd).toBe(round(3 * ((2 * 10) / 60) * PRICES.glueCrawler.usd));
    expect(e.expectedUsd).toBe(round(e.atRest.totalUsd + e.activity.totalUsd));
  });

  test('the guard rail: a warning when the at-rest estimate, or else the expected month, exceeds the budget', () => {
    // The real stacks are estimated in the platform stack, command and README tests.
    expect(budgetWarnings(dev, { atRestUsd: dev.monthlyBudgetUsd + 1, expectedUsd: dev.monthlyBudgetUsd + 1 })).toEqual([
      expect.stringMatching(/^environment "dev": the at-rest estimate \$\d+\.\d\d a month exceeds monthlyBudgetUsd/),
    ]);
    expect(budgetWarnings(prod, { atRestUsd: 1, expectedUsd: prod.monthlyBudgetUsd + 1 })).toEqual([
      expect.stringMatching(/the expected month .* exceeds monthlyBudgetUsd .* the budget alert will fire/),
    ]);
    expect(budgetWarnings(prod, { atRestUsd: 1, expectedUsd: 2 })).toEqual([]);
  });
});

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
