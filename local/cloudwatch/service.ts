import { type AwsJsonService, AwsServiceError, epochSeconds, requiredString, unknownOperation } from '../edge/aws-json';
import type { AlarmStatus, LocalAlarms } from './alarms';
import type { AlarmState, MetricQuery } from './types';

type Input = Readonly<Record<string, unknown>>;

const STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

/**
 * CloudWatch's alarm API for local mode (awsJson1_0, query-compatible, as
 * `@aws-sdk/client-cloudwatch` speaks it): DescribeAlarms over the template's alarms, evaluated
 * locally, and SetAlarmState to force one for a drill.
 */
export class CloudWatchService implements AwsJsonService {
  readonly name = 'CloudWatch';
  readonly targetPrefix = 'GraniteServiceVersion20100801';
  readonly signingName = 'monitoring';
  readonly errorNamespace = 'com.amazonaws.cloudwatch';
  private readonly operations: Readonly<Record<string, (input: Input) => unknown>> = {
    DescribeAlarms: (input) => this.describeAlarms(input),
    SetAlarmState: (input) => this.setAlarmState(input),
  };

  constructor(private readonly alarms: LocalAlarms) {}

  handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const run = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined;
    if (run === undefined) return Promise.reject(unknownOperation(this, operation));
    return Promise.resolve().then(() => run(input));
  }

  private describeAlarms(input: Input): unknown {
    const names = Array.isArray(input.AlarmNames) ? input.AlarmNames.map(String) : this.alarms.names();
    const prefix = typeof input.AlarmNamePrefix === 'string' ? input.AlarmNamePrefix : '';
    const types = Array.isArray(input.AlarmTypes) ? input.AlarmTypes.map(String) : ['MetricAlarm'];
    const statuses = this.alarms
      .describe(names.filter((n) => n.startsWith(prefix)))
      .filter((s) => input.StateValue === undefined || s.state === input.StateValue);
    return { MetricAlarms: types.includes('MetricAlarm') ? statuses.map(metricAlarm) : [], CompositeAlarms: [] };
  }

  private setAlarmState(input: Input): unknown {
    const name = requiredString(input, 'AlarmName');
    const state = requiredString(input, 'StateValue') as AlarmState;
    if (!STATES.includes(state)) throw invalid(`StateValue must be one of ${STATES.join(', ')}`);
    const reason = requiredString(input, 'StateReason');
    if (this.alarms.setState(name, state, reason) === undefined) {
      throw new AwsServiceError('ResourceNotFound', `Alarm ${name} not found`, 404, 'ResourceNotFound');
    }
    return {};
  }
}

function invalid(message: string): AwsServiceError {
  return new AwsServiceError('InvalidParameterValue', message, 400, 'InvalidParameterValue');
}

/** An alarm in DescribeAlarms' `MetricAlarm` shape. */
function metricAlarm(status: AlarmStatus): Record<string, unknown> {
  const { spec } = status;
  const single = spec.queries.length === 1 && spec.queries[0]?.id === 'm1' ? spec.queries[0].metric : undefined;
  const at = epochSeconds(status.updatedAt);
  return {
    AlarmName: spec.name,
    AlarmArn: spec.arn,
    ...(spec.description === undefined ? {} : { AlarmDescription: spec.description }),
    ActionsEnabled: true,
    OKActions: [],
    AlarmActions: [],
    InsufficientDataActions: [],
    StateValue: status.state,
    StateReason: status.reason,
    ...(status.value === undefined
      ? {}
      : {
          StateReasonData: JSON.stringify({
            version: '1.0',
            recentDatapoints: [status.value],
            threshold: spec.threshold,
          }),
        }),
    StateUpdatedTimestamp: at,
    StateTransitionedTimestamp: at,
    ...(single === undefined
      ? { Metrics: spec.queries.map(metricDataQuery(spec.periodSeconds)) }
      : {
          Namespace: single.namespace,
          MetricName: single.name,
          Dimensions: dimensions(single.dimensions),
          ...(/^p\d/.test(single.stat) ? { ExtendedStatistic: single.stat } : { Statistic: single.stat }),
          Period: spec.periodSeconds,
        }),
    EvaluationPeriods: spec.evaluationPeriods,
    Threshold: spec.threshold,
    ComparisonOperator: spec.comparison,
    TreatMissingData: spec.treatMissingData,
  };
}

function metricDataQuery(period: number) {
  return (q: MetricQuery) => ({
    Id: q.id,
    ReturnData: q.returnData,
    ...(q.expression === undefined ? {} : { Expression: q.expression }),
    ...(q.metric === undefined
      ? {}
      : {
          MetricStat: {
            Metric: {
              Namespace: q.metric.namespace,
              MetricName: q.metric.name,
              Dimensions: dimensions(q.metric.dimensions),
            },
            Period: period,
            Stat: q.metric.stat,
          },
        }),
  });
}

function dimensions(map: Readonly<Record<string, string>>) {
  return Object.entries(map).map(([Name, Value]) => ({ Name, Value }));
}
