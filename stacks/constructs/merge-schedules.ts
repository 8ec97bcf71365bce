import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { MergeConfig } from '../../config/types';
import { REBUILD_INPUT } from '../core/athena-workflows';
import { AwsEnvironment } from '../core/aws-environment';
import { allow } from '../core/policy-document';
import { ServiceRole } from '../core/service-role';
import { Merge } from './merge';

export interface MergeSchedulesProps extends Pick<MergeConfig, 'schedule' | 'maintenanceSchedule'> {
  readonly environment: AwsEnvironment;
  readonly namePrefix: string;
  /** Its state machines are what the schedules start. */
  readonly merge: Merge;
  /**
   * The change log holds only the last full load (DMS full-load mode): every merge then rebuilds the current state
   * from it, because the merge otherwise applies only changes newer than the newest one applied, and a reloaded full
   * load has none (its rows carry no change sequence).
   */
  readonly changeLogIsLastFullLoad: boolean;
  /**
   * What must exist before the first execution starts (a rate schedule starts one right after it is created): the
   * Lake Formation grants the state machines' roles query with.
   * @default nothing
   */
  readonly startAfter?: readonly ITerraformDependable[];
}

/**
 * How long a scheduled start may be retried before it is dropped: a merge that cannot start within one period is
 * superseded by the next one, and a late maintenance is better skipped than run into the working day.
 */
const START_RETRY = { maximumEventAgeInSeconds: 600, maximumRetryAttempts: 5 };

/**
 * EventBridge Scheduler starts the merge and the table maintenance on their schedules from config, through one role
 * allowed nothing but `states:StartExecution` on exactly these two state machines (policy rule UH-IAM-006). No
 * scheduler of our own: Scheduler retries a start it could not make, and its time zone is explicit (UTC).
 */
export class MergeSchedules extends Construct {
  readonly role: ServiceRole;
  readonly mergeSchedule: SchedulerSchedule;
  readonly maintenanceSchedule: SchedulerSchedule;

  constructor(scope: Construct, id: string, props: MergeSchedulesProps) {
    super(scope, id);
    const { merge } = props;
    const stateMachines = [merge.mergeStateMachine, merge.maintenanceStateMachine];
    this.role = new ServiceRole(this, 'scheduler-role', {
      environment: props.environment,
      roleName: `${props.namePrefix}-merge-scheduler`,
      description: 'EventBridge Scheduler starts the merge and the table maintenance with this role, and nothing else',
      trust: { kind: 'services', services: ['scheduler'] },
      inlinePolicy: {
        name: 'start-merge-state-machines',
        statements: [
          // StartExecution on a state machine: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
          allow(
            'StartScheduledStateMachines',
            ['states:StartExecution'],
            stateMachines.map((stateMachine) => stateMachine.arn),
          ),
        ],
      },
    });
    const schedule = (
      scheduleId: string,
      name: string,
      expression: string,
      stateMachine: SfnStateMachine,
      description: string,
      input: object,
    ): SchedulerSchedule =>
      new SchedulerSchedule(this, scheduleId, {
        name,
        description,
        scheduleExpression: expression,
        scheduleExpressionTimezone: 'UTC',
        state: 'ENABLED',
        flexibleTimeWindow: { mode: 'OFF' },
        target: { arn: stateMachine.arn, roleArn: this.role.arn, input: JSON.stringify(input), retryPolicy: START_RETRY },
        // Scheduler checks at creation that it may assume the role; the grants come before the first start.
        dependsOn: [...this.role.dependables, ...(props.startAfter ?? [])],
      });
    this.mergeSchedule = schedule(
      'merge-schedule',
      `${props.namePrefix}-merge`,
      props.schedule,
      merge.mergeStateMachine,
      props.changeLogIsLastFullLoad
        ? 'Starts the merge, rebuilding the current state from the last full load'
        : 'Starts the merge of the change log into the current state',
      props.changeLogIsLastFullLoad ? REBUILD_INPUT : {},
    );
    this.maintenanceSchedule = schedule(
      'maintenance-schedule',
      `${props.namePrefix}-table-maintenance`,
      props.maintenanceSchedule,
      merge.maintenanceStateMachine,
      'Starts the maintenance (OPTIMIZE, VACUUM) of the current-state tables',
      {},
    );
  }
}
