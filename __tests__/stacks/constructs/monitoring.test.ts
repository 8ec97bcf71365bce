import { dev, prod } from '../../../config/environments';
import { CLINIC_TABLES } from '../../../contract/clinic';
import { ALERT_PUBLISHERS, Monitoring, MonitoringProps } from '../../../stacks/constructs/monitoring';
import {
  Json,
  SynthesizedStack,
  TEST_ENV,
  TEST_PREFIX,
  synthesizeWith,
  testCatalog,
  testKey,
  testMerge,
  testMigration,
} from '../../helpers/synth';

describe('Monitoring', () => {
  const build = (migrationConfig = dev.migration, props: Partial<MonitoringProps> = {}): SynthesizedStack =>
    synthesizeWith((scope) => {
      new Monitoring(scope, 'monitoring', {
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        alertEmails: ['oncall@example.com', "o'brien.ops@example.org"],
        monthlyBudgetUsd: 250,
        cdcLatencyAlarmSeconds: migrationConfig.cdcLatencyAlarmSeconds,
        topicKey: testKey(scope, 'logs'),
        migration: testMigration(scope, migrationConfig),
        catalog: testCatalog(scope),
        merge: testMerge(scope),
        mergeSchedule: prod.lake.merge.schedule,
        ...props,
      });
    });
  const onInstance = {
    ...dev.migration,
    capacity: { kind: 'instance', replicationInstanceClass: 'dms.t3.micro', allocatedStorageGiB: 20, multiAz: false },
  } as const;
  /** dev's full load on DMS Serverless, the same on a replication instance, and prod's change capture. */
  const stacks = { fullLoad: build(), fullLoadOnInstance: build(onInstance), cdc: build(prod.migration) };
  const stack = stacks.fullLoad;
  const topic = stack.ref('aws_sns_topic', '', 'arn');

  test('the alerts topic is encrypted with the given key and publishable only by AWS services of this account, over TLS', () => {
    expect(stack.one('aws_sns_topic')).toEqual({
      name: `${TEST_PREFIX}-alerts`,
      display_name: 'UnicornHealth platform alerts',
      kms_master_key_id: stack.ref('aws_kms_key', 'logs-key', 'arn'),
    });
    const policy = stack.one('aws_sns_topic_policy');
    expect(policy.arn).toBe(topic);
    expect(stack.statement(policy.policy, 'AwsServicesOfThisAccountPublish')).toMatchObject({
      principals: [{ type: 'Service', identifiers: [...ALERT_PUBLISHERS] }],
      actions: ['sns:Publish'],
      condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [TEST_ENV.accountId] }],
    });
    expect(stack.statement(policy.policy, 'DenyInsecureTransport')).toMatchObject({
      effect: 'Deny',
      condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
    });
  });

  test('the publishers are the services that send alerts', () => {
    expect(ALERT_PUBLISHERS).toEqual(['events.amazonaws.com', 'cloudwatch.amazonaws.com', 'dms.amazonaws.com', 'budgets.amazonaws.com']);
  });

  test('each address is subscribed by e-mail under an id derived from the address', () => {
    const subscriptions = stack.resources('aws_sns_topic_subscription');
    expect(Object.entries(subscriptions).map(([id, s]: [string, Json]) => [id.replace(/_[0-9A-F]{8}$/, ''), s.endpoint])).toEqual([
      ['monitoring_email-o-brien-ops-example-org', "o'brien.ops@example.org"],
      ['monitoring_email-oncall-example-com', 'oncall@example.com'],
    ]);
    for (const subscription of Object.values(subscriptions)) expect(subscription).toMatchObject({ topic_arn: topic, protocol: 'email' });
  });

  test('reordering the addresses changes nothing (the budget’s subscribers are a set)', () => {
    const reordered = build(dev.migration, { alertEmails: ["o'brien.ops@example.org", 'oncall@example.com'] });
    expect(reordered.resources('aws_sns_topic_subscription')).toEqual(stack.resources('aws_sns_topic_subscription'));
    expect(reordered.one('aws_budgets_budget').notification.map((n: Json) => n.subscriber_email_addresses.sort())).toEqual(
      stack.one('aws_budgets_budget').notification.map((n: Json) => n.subscriber_email_addresses.sort()),
    );
  });

  test('the migration task’s failures and state changes reach the topic through an event subscription, made once DMS may publish', () => {
    const withTask = stacks.fullLoadOnInstance;
    expect(withTask.one('aws_dms_event_subscription')).toEqual({
      name: `${TEST_PREFIX}-dms-task-failures`,
      sns_topic_arn: withTask.ref('aws_sns_topic', '', 'arn'),
      source_type: 'replication-task',
      source_ids: [withTask.ref('aws_dms_replication_task', '', 'replication_task_id')],
      event_categories: ['failure', 'state change'],
      enabled: true,
      // CreateEventSubscription fails with SNSNoAuthorizationFault until the topic policy lets DMS publish.
      depends_on: [`aws_sns_topic_policy.${withTask.idOf('aws_sns_topic_policy')}`],
    });
    expect(withTask.all('aws_cloudwatch_event_rule').map((r: Json) => r.name)).not.toContain(`${TEST_PREFIX}-dms-replication-changed`);
  });

  test('a serverless replication’s state changes reach the topic through EventBridge (no event subscription covers it)', () => {
    expect(stack.all('aws_dms_event_subscription')).toHaveLength(0);
    const rule = stack.one('aws_cloudwatch_event_rule', 'dms-replication');
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ['aws.dms'],
      'detail-type': ['DMS Replication State Change'],
      resources: [stack.ref('aws_dms_replication_config', '', 'arn')],
    });
    expect(stack.one('aws_cloudwatch_event_target', 'dms-replication')).toEqual({
      rule: stack.ref('aws_cloudwatch_event_rule', 'dms-replication', 'name'),
      arn: topic,
      target_id: 'alerts',
    });
  });

  test('a failure of any of the catalog’s crawlers reaches the topic through EventBridge', () => {
    const rule = stack.one('aws_cloudwatch_event_rule', 'crawler-failed');
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ['aws.glue'],
      'detail-type': ['Glue Crawler State Change'],
      detail: {
        crawlerName: CLINIC_TABLES.map((table) => stack.ref('aws_glue_crawler', `crawler-${table.name}`, 'name')),
        state: ['Failed'],
      },
    });
    expect(stack.one('aws_cloudwatch_event_target', 'crawler-failed')).toEqual({
      rule: stack.ref('aws_cloudwatch_event_rule', 'crawler-failed', 'name'),
      arn: topic,
      target_id: 'alerts',
    });
  });

  test('the CDC latency alarm exists only when the migration captures changes, on its instance and task', () => {
    expect(stacks.fullLoad.all('aws_cloudwatch_metric_alarm').filter((a: Json) => a.namespace === 'AWS/DMS')).toHaveLength(0);
    const alarm = stacks.cdc.one('aws_cloudwatch_metric_alarm', 'cdc-latency');
    expect(alarm).toMatchObject({
      alarm_name: `${TEST_PREFIX}-dms-cdc-latency`,
      namespace: 'AWS/DMS',
      metric_name: 'CDCLatencySource',
      threshold: prod.migration.cdcLatencyAlarmSeconds,
      // No data while the task is not capturing (before its first start, when stopped): not a latency problem.
      treat_missing_data: 'notBreaching',
      alarm_actions: [stacks.cdc.ref('aws_sns_topic', '', 'arn')],
      ok_actions: [stacks.cdc.ref('aws_sns_topic', '', 'arn')],
    });
    expect(alarm.dimensions.ReplicationInstanceIdentifier).toBe(
      stacks.cdc.ref('aws_dms_replication_instance', '', 'replication_instance_id'),
    );
    expect(alarm.dimensions.ReplicationTaskIdentifier).toMatch(
      /^\$\{element\(split\(":", aws_dms_replication_task\.[^.]+\.replication_task_arn\), 6\)\}$/,
    );
  });

  test.each([
    ['merge-failed', 'merge', `${TEST_PREFIX}-merge`],
    ['maintenance-failed', 'maintenance', `${TEST_PREFIX}-table-maintenance`],
  ])('%s: any failed execution of the state machine alerts at once; no execution is no failure', (idPart, stateMachine) => {
    expect(stack.one('aws_cloudwatch_metric_alarm', idPart)).toMatchObject({
      alarm_name: `${stack.ref('aws_sfn_state_machine', `${stateMachine}-state-machine`, 'name')}-failed`,
      namespace: 'AWS/States',
      metric_name: 'ExecutionsFailed',
      dimensions: { StateMachineArn: stack.ref('aws_sfn_state_machine', `${stateMachine}-state-machine`, 'arn') },
      statistic: 'Sum',
      period: 300,
      evaluation_periods: 1,
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
      treat_missing_data: 'notBreaching',
      alarm_actions: [topic],
      ok_actions: [topic],
    });
  });

  test('no successful merge in three schedule periods alerts, and no data (nothing ran) is exactly that', () => {
    expect(stack.one('aws_cloudwatch_metric_alarm', 'merge-stale')).toMatchObject({
      namespace: 'AWS/States',
      metric_name: 'ExecutionsSucceeded',
      dimensions: { StateMachineArn: stack.ref('aws_sfn_state_machine', 'merge-state-machine', 'arn') },
      statistic: 'Sum',
      period: 1800,
      evaluation_periods: 1,
      threshold: 1,
      comparison_operator: 'LessThanThreshold',
      treat_missing_data: 'breaching',
      alarm_actions: [topic],
    });
    const hourly = build(dev.migration, { mergeSchedule: 'rate(1 hour)' });
    expect(hourly.one('aws_cloudwatch_metric_alarm', 'merge-stale').period).toBe(3 * 3600);
    // Dev's daily merge: three days, within the seven days an alarm with a period of an hour or more may evaluate.
    const daily = build(dev.migration, { mergeSchedule: dev.lake.merge.schedule });
    expect(daily.one('aws_cloudwatch_metric_alarm', 'merge-stale')).toMatchObject({ period: 3 * 86_400, evaluation_periods: 1 });
    expect(() => build(dev.migration, { mergeSchedule: 'cron(0 * * * ? *)' })).toThrow(/not a rate expression/);
  });

  test('a monthly cost budget alerts the addresses and the topic: a forecast above the budget until an estimate is given, actual spend at it', () => {
    const budget = stack.one('aws_budgets_budget');
    expect(budget).toMatchObject({
      name: `${TEST_PREFIX}-monthly`,
      budget_type: 'COST',
      limit_amount: '250.00',
      limit_unit: 'USD',
      time_unit: 'MONTHLY',
    });
    expect(budget.notification.map((n: Json) => [n.notification_type, n.threshold, n.threshold_type, n.subscriber_sns_topic_arns])).toEqual(
      [
        ['FORECASTED', 100, 'PERCENTAGE', [topic]],
        ['ACTUAL', 100, 'PERCENTAGE', [topic]],
      ],
    );
  });

  test('with the expected month from the cost estimate, the forecast alert fires above it, in whole dollars', () => {
    const estimated = synthesizeWith((scope) => {
      const monitoring = new Monitoring(scope, 'monitoring', {
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        alertEmails: ['oncall@example.com'],
        monthlyBudgetUsd: 250,
        cdcLatencyAlarmSeconds: dev.migration.cdcLatencyAlarmSeconds,
        topicKey: testKey(scope, 'logs'),
        migration: testMigration(scope, dev.migration),
        catalog: testCatalog(scope),
        merge: testMerge(scope),
        mergeSchedule: prod.lake.merge.schedule,
      });
      monitoring.alertOnSpend(83.2);
    });
    expect(estimated.one('aws_budgets_budget').notification.map((n: Json) => [n.notification_type, n.threshold, n.threshold_type])).toEqual(
      [
        ['FORECASTED', 84, 'ABSOLUTE_VALUE'],
        ['ACTUAL', 100, 'PERCENTAGE'],
      ],
    );
  });
});
