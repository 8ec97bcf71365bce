import { dev, prod } from '../../../config/environments';
import { ref, synthesize } from '../../helpers/synth';

describe('Monitoring', () => {
  const stacks = { dev: synthesize(dev), prod: synthesize(prod) };
  const stack = stacks.dev;
  const topic = ref('aws_sns_topic', stack.idOf('aws_sns_topic'), 'arn');

  test('the alerts topic is encrypted with a customer-managed key and publishable only by AWS services of this account', () => {
    expect(stack.one('aws_sns_topic').kms_master_key_id).toBe(ref('aws_kms_key', stack.idOf('aws_kms_key', 'logs-key'), 'arn'));
    const publish = stack.statement(stack.one('aws_sns_topic_policy').policy, 'AwsServicesOfThisAccountPublish');
    expect(publish.condition).toEqual([{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [dev.accountId] }]);
  });

  test('DMS task failures reach the topic through an event subscription', () => {
    expect(stack.one('aws_dms_event_subscription')).toMatchObject({
      sns_topic_arn: topic,
      source_type: 'replication-task',
      event_categories: ['failure', 'state change'],
    });
  });

  test('a failed crawler reaches the topic through EventBridge', () => {
    const pattern = JSON.parse(stack.one('aws_cloudwatch_event_rule').event_pattern);
    expect(pattern).toMatchObject({ source: ['aws.glue'], 'detail-type': ['Glue Crawler State Change'], detail: { state: ['Failed'] } });
    expect(stack.one('aws_cloudwatch_event_target').arn).toBe(topic);
  });

  test('the CDC latency alarm exists only when change capture is on', () => {
    expect(stacks.dev.all('aws_cloudwatch_metric_alarm')).toHaveLength(0);
    const alarm = stacks.prod.one('aws_cloudwatch_metric_alarm');
    expect(alarm).toMatchObject({
      namespace: 'AWS/DMS',
      metric_name: 'CDCLatencySource',
      threshold: prod.migration.cdcLatencyAlarmSeconds,
    });
    expect(alarm.dimensions.ReplicationTaskIdentifier).toMatch(
      /element\(split\(":", aws_dms_replication_task\.[^.]+\.replication_task_arn\), 6\)/,
    );
  });

  test.each([
    ['dev', dev.monthlyBudgetUsd],
    ['prod', prod.monthlyBudgetUsd],
  ] as const)('%s: a monthly cost budget of %i USD alerts at 80%% forecast and 100%% actual', (name, amount) => {
    const budget = stacks[name].one('aws_budgets_budget');
    expect(budget).toMatchObject({ budget_type: 'COST', limit_amount: amount.toFixed(2), time_unit: 'MONTHLY' });
    expect(budget.notification.map((n: { notification_type: string; threshold: number }) => [n.notification_type, n.threshold])).toEqual([
      ['FORECASTED', 80],
      ['ACTUAL', 100],
    ]);
  });
});
