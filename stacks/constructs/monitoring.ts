import { Construct } from 'constructs';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { DmsEventSubscription } from '@cdktf/provider-aws/lib/dms-event-subscription';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { BudgetsBudget } from '@cdktf/provider-aws/lib/budgets-budget';
import { AwsEnvironment } from '../core/aws-environment';
import { policyDocument } from '../core/policy-document';

/** Services that publish to the alerts topic (and so must be able to use its key). */
export const ALERT_PUBLISHERS = ['events.amazonaws.com', 'cloudwatch.amazonaws.com', 'dms.amazonaws.com', 'budgets.amazonaws.com'] as const;

export interface MonitoringProps {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** Key of the alerts topic; its policy must let `ALERT_PUBLISHERS` use it. */
  readonly topicKeyArn: string;
  readonly alertEmails: readonly string[];
  readonly monthlyBudgetUsd: number;
  readonly dmsTaskId: string;
  /** Replication instance and task resource id, for the CDC latency alarm; omitted when CDC is off. */
  readonly cdc?: { readonly instanceId: string; readonly taskResourceId: string; readonly latencySeconds: number };
  readonly crawlerName: string;
}

/**
 * Where failures go: an encrypted SNS topic that receives DMS task failures (event subscription), Glue crawler
 * failures (EventBridge), the CDC latency alarm when change capture is on, and the monthly budget alerts.
 */
export class Monitoring extends Construct {
  readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const env = props.environment;
    this.topic = new SnsTopic(this, 'alerts', {
      name: `${props.namePrefix}-alerts`,
      displayName: 'UnicornHealth platform alerts',
      kmsMasterKeyId: props.topicKeyArn,
    });
    new SnsTopicPolicy(this, 'alerts-policy', {
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
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          actions: ['sns:Publish'],
          principals: [{ type: '*', identifiers: ['*'] }],
          resources: [this.topic.arn],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
      ]).json,
    });
    props.alertEmails.forEach((email, index) => {
      new SnsTopicSubscription(this, `email-${index}`, { topicArn: this.topic.arn, protocol: 'email', endpoint: email });
    });

    new DmsEventSubscription(this, 'dms-task-events', {
      name: `${props.namePrefix}-dms-task-failures`,
      snsTopicArn: this.topic.arn,
      sourceType: 'replication-task',
      sourceIds: [props.dmsTaskId],
      eventCategories: ['failure', 'state change'],
      enabled: true,
    });

    const crawlerFailed = new CloudwatchEventRule(this, 'crawler-failed', {
      name: `${props.namePrefix}-crawler-failed`,
      description: 'The raw-zone crawler failed',
      eventPattern: JSON.stringify({
        source: ['aws.glue'],
        'detail-type': ['Glue Crawler State Change'],
        detail: { crawlerName: [props.crawlerName], state: ['Failed'] },
      }),
    });
    new CloudwatchEventTarget(this, 'crawler-failed-alert', { rule: crawlerFailed.name, arn: this.topic.arn, targetId: 'alerts' });

    if (props.cdc) {
      new CloudwatchMetricAlarm(this, 'cdc-latency', {
        alarmName: `${props.namePrefix}-dms-cdc-latency`,
        alarmDescription: `DMS change capture is more than ${props.cdc.latencySeconds} s behind the source`,
        namespace: 'AWS/DMS',
        metricName: 'CDCLatencySource',
        dimensions: { ReplicationInstanceIdentifier: props.cdc.instanceId, ReplicationTaskIdentifier: props.cdc.taskResourceId },
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 3,
        threshold: props.cdc.latencySeconds,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'breaching',
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
      });
    }

    new BudgetsBudget(this, 'budget', {
      name: `${props.namePrefix}-monthly`,
      budgetType: 'COST',
      limitAmount: props.monthlyBudgetUsd.toFixed(2),
      limitUnit: 'USD',
      timeUnit: 'MONTHLY',
      notification: [
        {
          comparisonOperator: 'GREATER_THAN',
          threshold: 80,
          thresholdType: 'PERCENTAGE',
          notificationType: 'FORECASTED',
          subscriberEmailAddresses: [...props.alertEmails],
          subscriberSnsTopicArns: [this.topic.arn],
        },
        {
          comparisonOperator: 'GREATER_THAN',
          threshold: 100,
          thresholdType: 'PERCENTAGE',
          notificationType: 'ACTUAL',
          subscriberEmailAddresses: [...props.alertEmails],
          subscriberSnsTopicArns: [this.topic.arn],
        },
      ],
    });
  }
}
