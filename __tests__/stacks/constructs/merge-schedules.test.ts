import { dev, prod } from '../../../config/environments';
import { MergeSchedules } from '../../../stacks/constructs/merge-schedules';
import { ServiceRole } from '../../../stacks/core/service-role';
import {
  Json,
  SynthesizedStack,
  TEST_ENV,
  TEST_PREFIX,
  fromTestAccount,
  serviceTrust,
  synthesizeWith,
  testMerge,
} from '../../helpers/synth';

describe('MergeSchedules (EventBridge Scheduler)', () => {
  const stack: SynthesizedStack = synthesizeWith((scope) => {
    const merge = testMerge(scope);
    // Stands in for the last Lake Formation grant, which the first start must wait for.
    const grant = new ServiceRole(scope, 'grant-role', {
      environment: TEST_ENV,
      roleName: 'stand-in',
      description: 'Stands in for what the schedules wait for',
      trust: { kind: 'services', services: ['glue'] },
    });
    new MergeSchedules(scope, 'merge-schedules', {
      environment: TEST_ENV,
      namePrefix: TEST_PREFIX,
      ...prod.lake.merge,
      merge,
      changeLogIsLastFullLoad: false,
      startAfter: [grant.role],
    });
  });
  const stateMachineArn = (idPart: string): string => stack.ref('aws_sfn_state_machine', `${idPart}-state-machine`, 'arn');

  test.each([
    ['merge-schedules_merge-schedule', `${TEST_PREFIX}-merge`, 'rate(10 minutes)', 'merge'],
    ['merge-schedules_maintenance-schedule', `${TEST_PREFIX}-table-maintenance`, 'cron(30 4 * * ? *)', 'maintenance'],
  ])('%s starts its state machine on the configured schedule, in UTC, at the time it names', (idPart, name, expression, stateMachine) => {
    expect(stack.one('aws_scheduler_schedule', idPart)).toEqual({
      name,
      description: expect.stringMatching(/^Starts the /),
      schedule_expression: expression,
      schedule_expression_timezone: 'UTC',
      state: 'ENABLED',
      flexible_time_window: { mode: 'OFF' },
      target: {
        arn: stateMachineArn(stateMachine),
        role_arn: stack.ref('aws_iam_role', 'scheduler-role', 'arn'),
        input: '{}',
        retry_policy: { maximum_event_age_in_seconds: 600, maximum_retry_attempts: 5 },
      },
      depends_on: [
        `aws_iam_role.${stack.idOf('aws_iam_role', 'scheduler-role')}`,
        `aws_iam_role_policy.${stack.idOf('aws_iam_role_policy', 'scheduler-role_')}`,
        `aws_iam_role.${stack.idOf('aws_iam_role', 'grant-role')}`,
      ],
    });
  });

  test('where the change log is only the last full load, every merge rebuilds the current state from it', () => {
    const fullLoad = synthesizeWith((scope) => {
      new MergeSchedules(scope, 'merge-schedules', {
        environment: TEST_ENV,
        namePrefix: TEST_PREFIX,
        ...dev.lake.merge,
        merge: testMerge(scope),
        changeLogIsLastFullLoad: true,
      });
    });
    expect(fullLoad.one('aws_scheduler_schedule', 'merge-schedules_merge-schedule')).toMatchObject({
      schedule_expression: 'rate(1 day)',
      target: { input: '{"rebuild":true}' },
    });
    expect(fullLoad.one('aws_scheduler_schedule', 'maintenance-schedule').target.input).toBe('{}');
  });

  test('the scheduler role trusts Scheduler of this account’s schedule groups and may only start these two state machines', () => {
    expect(stack.one('aws_iam_role', 'scheduler-role').name).toBe(`${TEST_PREFIX}-merge-scheduler`);
    expect(stack.serviceTrustOf('scheduler-role')).toEqual(
      serviceTrust(['scheduler.amazonaws.com'], fromTestAccount(`arn:aws:scheduler:us-east-1:${TEST_ENV.accountId}:schedule-group/*`)),
    );
    const statements: Json[] = stack.policyBehind(stack.one('aws_iam_role_policy', 'scheduler-role_').policy).statement;
    expect(statements).toEqual([
      {
        sid: 'StartScheduledStateMachines',
        effect: 'Allow',
        actions: ['states:StartExecution'],
        resources: [stateMachineArn('merge'), stateMachineArn('maintenance')],
      },
    ]);
  });
});
