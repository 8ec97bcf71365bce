import { Construct } from 'constructs';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { DmsEventSubscription } from '@cdktf/provider-aws/lib/dms-event-subscription';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { BudgetsBudget } from '@cdktf/provider-aws/lib/budgets-budget';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { EnvironmentConfig, MergeConfig, MigrationConfig } from '../../config/types';
import { rateMinutes } from '../../config/validate';
import { AwsEnvironment } from '../core/aws-environment';
import { denyInsecureTransport, policyDocument } from '../core/policy-document';
import { Catalog } from './catalog';
import { CustomerManagedKey } from './customer-managed-key';
import { Merge } from './merge';
import { Migration } from './migration';

/** Services that publish to the alerts topic (and so must be able to use its key). */
export const ALERT_PUBLISHERS = ['events.amazonaws.com', 'cloudwatch.amazonaws.com', 'dms.amazonaws.com', 'budgets.amazonaws.com'] as const;

export interface MonitoringProps
  extends Pick<EnvironmentConfig, 'alertEmails' | 'monthlyBudgetUsd'>, Pick<MigrationConfig, 'cdcLatencyAlarmSeconds'> {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** Key of the alerts topic; its policy must let `ALERT_PUBLISHERS` use it. */
  readonly topicKey: CustomerManagedKey;
  /**
   * Its task's or serverless replication's failures and state changes are alerts, and so is a task's change-capture
   * latency when it captures changes.
   */
  readonly migration: Migration;
  /** Its crawlers' failures are alerts. */
  readonly catalog: Catalog;
  /** Its state machines' failures are alerts, and so is a merge that has not succeeded for three schedule periods. */
  readonly merge: Merge;
  /** How often the merge is scheduled, a `rate(...)` expression: the staleness alarm's window is three periods of it. */
  readonly mergeSchedule: MergeConfig['schedule'];
}

/** Schedule periods without a successful merge after which the current state is stale. */
export const STALE_AFTER_MERGE_PERIODS = 3;

/**
 * Construct id of an e-mail subscription, derived from the address so that reordering the list changes nothing
 * (an id by position would re-create subscriptions and re-send their confirmations).
 */
function emailSubscriptionId(address: string): string {
  return `email-${address.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

/**
 * Where failures go: an encrypted SNS topic that receives DMS task failures (event subscription), Glue crawler
 * failures (EventBridge), the CDC latency alarm when change capture is on, the failures of the merge and the table
 * maintenance and a merge gone stale (CloudWatch alarms on Step Functions' metrics), and the monthly budget alerts.
 */
export class Monitoring extends Construct {
  readonly topic: SnsTopic;
  /** Who may publish to the topic; what checks that it may publish when it is created waits for it. */
  readonly topicPolicy: SnsTopicPolicy;
  /** The monthly cost budget; its alerts are set by `alertOnSpend`. */
  readonly budget: BudgetsBudget;
  private readonly alertEmails: readonly string[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const env = props.environment;
    this.alertEmails = props.alertEmails;
    this.topic = new SnsTopic(this, 'alerts', {
      name: `${props.namePrefix}-alerts`,
      displayName: 'UnicornHealth platform alerts',
      kmsMasterKeyId: props.topicKey.arn,
    });
    this.topicPolicy = new SnsTopicPolicy(this, 'alerts-policy', {
      arn: this.topic.arn,
      policy: policyDocument(this, 'alerts-publishers', [
        {
          sid: 'AwsServicesOfThisAccountPublish',
          effect: 'Allow',
          actions: ['sns:Publish'],
          principals: [{ type: 'Service', identifiers: [...ALERT_PUBLISHERS] }],
          resources: [this.topic.arn],
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [env.accountId] }],
        },
        denyInsecureTransport(['sns:Publish'], [this.topic.arn]),
      ]).json,
    });
    for (const address of props.alertEmails) {
      new SnsTopicSubscription(this, emailSubscriptionId(address), { topicArn: this.topic.arn, protocol: 'email', endpoint: address });
    }

    const { migration } = props;
    if (migration.task) {
      new DmsEventSubscription(this, 'dms-task-events', {
        name: `${props.namePrefix}-dms-task-failures`,
        snsTopicArn: this.topic.arn,
        sourceType: 'replication-task',
        sourceIds: [migration.task.replicationTaskId],
        eventCategories: ['failure', 'state change'],
        enabled: true,
        // CreateEventSubscription checks that DMS may publish to the topic and use its key, and fails with
        // SNSNoAuthorizationFault (or KMSAccessDeniedFault) otherwise
        // (https://docs.aws.amazon.com/dms/latest/APIReference/API_CreateEventSubscription.html,
        // https://github.com/ministryofjustice/modernisation-platform/pull/8412). The topic's ARN alone orders it
        // after the topic, not after the policy that lets DMS publish (policy rule UH-AWS-DMS-004).
        dependsOn: [this.topicPolicy],
      });
    }
    if (migration.replicationConfig) {
      // A serverless replication is no event-subscription source type; DMS sends its state changes to EventBridge
      // as "DMS Replication State Change" (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-dms.html).
      const replicationChanged = new CloudwatchEventRule(this, 'dms-replication-changed', {
        name: `${props.namePrefix}-dms-replication-changed`,
        description: 'The DMS Serverless replication into the raw zone changed state (started, stopped, failed)',
        eventPattern: JSON.stringify({
          source: ['aws.dms'],
          'detail-type': ['DMS Replication State Change'],
          resources: [migration.replicationConfig.arn],
        }),
      });
      new CloudwatchEventTarget(this, 'dms-replication-changed-alert', {
        rule: replicationChanged.name,
        arn: this.topic.arn,
        targetId: 'alerts',
      });
    }

    const crawlerFailed = new CloudwatchEventRule(this, 'crawler-failed', {
      name: `${props.namePrefix}-crawler-failed`,
      description: 'A crawler of the raw zone failed',
      eventPattern: JSON.stringify({
        source: ['aws.glue'],
        'detail-type': ['Glue Crawler State Change'],
        detail: { crawlerName: [...props.catalog.crawlers.values()].map((crawler) => crawler.name), state: ['Failed'] },
      }),
    });
    new CloudwatchEventTarget(this, 'crawler-failed-alert', { rule: crawlerFailed.name, arn: this.topic.arn, targetId: 'alerts' });

    if (migration.task && migration.instance && migration.mode === 'full-load-and-cdc') {
      new CloudwatchMetricAlarm(this, 'cdc-latency', {
        alarmName: `${props.namePrefix}-dms-cdc-latency`,
        alarmDescription: `DMS change capture is more than ${props.cdcLatencyAlarmSeconds} s behind the source`,
        namespace: 'AWS/DMS',
        metricName: 'CDCLatencySource',
        dimensions: {
          ReplicationInstanceIdentifier: migration.instance.replicationInstanceId,
          ReplicationTaskIdentifier: migration.taskResourceId,
        },
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 3,
        threshold: props.cdcLatencyAlarmSeconds,
        comparisonOperator: 'GreaterThanThreshold',
        // DMS publishes CDCLatencySource only while the task captures changes: before the first start, and while it is
        // stopped, there is no data, and `breaching` would alarm from the day the stack is applied
        // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
        // A task that stops or fails is reported by the DMS event subscription above, so silence is not latency
        // (policy rule UH-AWS-DMS-005).
        treatMissingData: 'notBreaching',
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
      });
    }

    this.alarmOnStateMachines(props);

    this.budget = new BudgetsBudget(this, 'budget', {
      name: `${props.namePrefix}-monthly`,
      budgetType: 'COST',
      limitAmount: props.monthlyBudgetUsd.toFixed(2),
      limitUnit: 'USD',
      timeUnit: 'MONTHLY',
    });
    this.alertOnSpend();
  }

  /**
   * The budget's alerts: a forecast above what the stacks are expected to cost (`npm run cost`: at rest plus the
   * configured usage) warns while there is time to act; actual spend reaching the budget confirms it is gone. Until
   * the platform stack has estimated itself, the forecast alert is at the budget.
   * @param expectedMonthlyUsd the month the estimate expects
   */
  alertOnSpend(expectedMonthlyUsd?: number): void {
    const subscribers = { subscriberEmailAddresses: [...this.alertEmails], subscriberSnsTopicArns: [this.topic.arn] };
    this.budget.putNotification([
      expectedMonthlyUsd === undefined
        ? {
            notificationType: 'FORECASTED',
            threshold: 100,
            thresholdType: 'PERCENTAGE',
            comparisonOperator: 'GREATER_THAN',
            ...subscribers,
          }
        : {
            notificationType: 'FORECASTED',
            threshold: Math.ceil(expectedMonthlyUsd),
            thresholdType: 'ABSOLUTE_VALUE',
            comparisonOperator: 'GREATER_THAN',
            ...subscribers,
          },
      { notificationType: 'ACTUAL', threshold: 100, thresholdType: 'PERCENTAGE', comparisonOperator: 'GREATER_THAN', ...subscribers },
    ]);
  }

  /**
   * Step Functions publishes ExecutionsFailed and ExecutionsSucceeded per state machine (dimension StateMachineArn)
   * when executions end (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html). A failure
   * alarms at once; no failure is no data, which is not a failure. Staleness is the opposite: no successful merge in
   * three schedule periods, and no data at all (nothing ran: the schedule is disabled, executions hang) is exactly
   * that, hence breaching (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data;
   * policy rule UH-MON-004).
   */
  private alarmOnStateMachines(props: MonitoringProps): void {
    const actions = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };
    const stateMachineMetric = (stateMachine: SfnStateMachine, metricName: string): object => ({
      namespace: 'AWS/States',
      metricName,
      dimensions: { StateMachineArn: stateMachine.arn },
      statistic: 'Sum',
    });
    const failed = (alarmId: string, what: string, stateMachine: SfnStateMachine): void => {
      new CloudwatchMetricAlarm(this, alarmId, {
        alarmName: `${stateMachine.name}-failed`,
        alarmDescription: `An execution of the ${what} failed: see its execution history (Step Functions) and the query in the merge workgroup`,
        ...stateMachineMetric(stateMachine, 'ExecutionsFailed'),
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        ...actions,
      });
    };
    failed('merge-failed', 'merge', props.merge.mergeStateMachine);
    failed('maintenance-failed', 'table maintenance', props.merge.maintenanceStateMachine);

    const intervalMinutes = rateMinutes(props.mergeSchedule);
    if (intervalMinutes === undefined) throw new Error(`the merge schedule ${props.mergeSchedule} is not a rate expression`);
    const staleAfterMinutes = STALE_AFTER_MERGE_PERIODS * intervalMinutes;
    new CloudwatchMetricAlarm(this, 'merge-stale', {
      alarmName: `${props.merge.mergeStateMachine.name}-stale`,
      alarmDescription: `No merge succeeded in ${staleAfterMinutes} minutes (${STALE_AFTER_MERGE_PERIODS} periods of ${props.mergeSchedule}): the current-state tables are falling behind the clinic's data`,
      ...stateMachineMetric(props.merge.mergeStateMachine, 'ExecutionsSucceeded'),
      period: staleAfterMinutes * 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
      ...actions,
    });
  }
}
