import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';
import type { AlarmSpec, MetricQuery, MetricSpec } from '../cloudwatch/types';
import type {
  CodeDeployInventory,
  DeploymentConfigSpec,
  DeploymentGroupSpec,
  TrafficRouting,
} from '../codedeploy/types';
import type { ServiceSpec } from '../lambda-api/types';
import type { TemplateResolver } from './resolver';
import { TemplateError } from './types';

/** Resource metadata naming a deploy target's service folder, relative to the project root. */
export const SERVICE_METADATA_KEY = 'gantry:service';

type Resource = ReturnType<TemplateResolver['resources']>[number];

/** The service folder of a function resource, when it is a deploy target. */
export function serviceFolderOf(resource: Resource): string | undefined {
  const folder = resource.resource.Metadata?.[SERVICE_METADATA_KEY];
  return typeof folder === 'string' ? folder : undefined;
}

/** The template's deploy targets: functions with `gantry:service` metadata, with their aliases. */
export function serviceSpecs(t: TemplateResolver): ServiceSpec[] {
  return t
    .resources('AWS::Lambda::Function')
    .filter((r) => serviceFolderOf(r) !== undefined)
    .map((r) => serviceSpec(t, r, String(serviceFolderOf(r))));
}

function serviceSpec(t: TemplateResolver, r: Resource, folder: string): ServiceSpec {
  const p = t.properties(r.stack, r.logicalId);
  const name = t.ref(r.stack, r.logicalId);
  const handler = String(p.Handler ?? 'index.handler');
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new TemplateError(`${r.stack}/${r.logicalId}: Handler "${handler}" is not <module>.<export>`);
  const variables = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return {
    name,
    arn: t.attribute(r.stack, r.logicalId, 'Arn'),
    folder,
    codeDir: isAbsolute(folder) ? folder : resolve(PROJECT_ROOT, folder),
    handlerModule: handler.slice(0, dot),
    handlerExport: handler.slice(dot + 1),
    runtime: String(p.Runtime ?? 'nodejs20.x'),
    environment: Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    ),
    timeoutSeconds: Number(p.Timeout ?? 3),
    memoryMb: Number(p.MemorySize ?? 128),
    aliases: t
      .resources('AWS::Lambda::Alias')
      .map((a) => t.properties(a.stack, a.logicalId))
      .filter((a) => a.FunctionName === name || a.FunctionName === t.attribute(r.stack, r.logicalId, 'Arn'))
      .map((a) => ({ name: String(a.Name), version: String(a.FunctionVersion ?? '1') })),
  };
}

/** CodeDeploy applications, deployment groups and custom deployment configurations. */
export function codeDeploySpecs(t: TemplateResolver): CodeDeployInventory {
  return {
    applications: t.resources('AWS::CodeDeploy::Application').map((r) => {
      const name = t.ref(r.stack, r.logicalId);
      const p = t.properties(r.stack, r.logicalId);
      return { name, id: stableUuid(`application/${name}`), computePlatform: String(p.ComputePlatform ?? 'Server') };
    }),
    groups: t.resources('AWS::CodeDeploy::DeploymentGroup').map((r) => groupSpec(t, r)),
    configs: t.resources('AWS::CodeDeploy::DeploymentConfig').map((r) => configSpec(t, r)),
  };
}

function groupSpec(t: TemplateResolver, r: Resource): DeploymentGroupSpec {
  const p = t.properties(r.stack, r.logicalId);
  const application = String(p.ApplicationName);
  const name = t.ref(r.stack, r.logicalId);
  const alarms = (p.AlarmConfiguration ?? {}) as {
    Enabled?: boolean;
    IgnorePollAlarmFailure?: boolean;
    Alarms?: { Name?: unknown }[];
  };
  const rollback = (p.AutoRollbackConfiguration ?? {}) as { Enabled?: boolean; Events?: string[] };
  const style = (p.DeploymentStyle ?? {}) as { DeploymentType?: string; DeploymentOption?: string };
  const accountId = t.accountOf(r.stack);
  return {
    application,
    name,
    ...(accountId === t.env.accountId ? {} : { accountId }),
    id: stableUuid(`deployment-group/${application}/${name}`),
    deploymentConfigName: String(p.DeploymentConfigName ?? 'CodeDeployDefault.LambdaAllAtOnce'),
    serviceRoleArn: String(p.ServiceRoleArn ?? ''),
    alarms: {
      enabled: alarms.Enabled === true,
      ignorePollAlarmFailure: alarms.IgnorePollAlarmFailure === true,
      names: (alarms.Alarms ?? []).map((a) => String(a.Name)),
    },
    autoRollback: { enabled: rollback.Enabled === true, events: rollback.Events ?? [] },
    deploymentStyle: {
      type: style.DeploymentType ?? 'BLUE_GREEN',
      option: style.DeploymentOption ?? 'WITH_TRAFFIC_CONTROL',
    },
  };
}

function configSpec(t: TemplateResolver, r: Resource): DeploymentConfigSpec {
  const p = t.properties(r.stack, r.logicalId);
  const name = t.ref(r.stack, r.logicalId);
  return {
    name,
    computePlatform: String(p.ComputePlatform ?? 'Server'),
    routing: trafficRouting(`${r.stack}/${r.logicalId}`, p.TrafficRoutingConfig as Record<string, unknown> | undefined),
  };
}

/** `TrafficRoutingConfig` of a template's deployment configuration. */
export function trafficRouting(where: string, config: Record<string, unknown> | undefined): TrafficRouting {
  const type = config?.Type ?? 'AllAtOnce';
  if (type === 'AllAtOnce') return { type };
  const step = (type === 'TimeBasedCanary' ? config?.TimeBasedCanary : config?.TimeBasedLinear) as
    | Record<string, unknown>
    | undefined;
  const percentage = Number(step?.CanaryPercentage ?? step?.LinearPercentage);
  const intervalMinutes = Number(step?.CanaryInterval ?? step?.LinearInterval);
  if ((type !== 'TimeBasedCanary' && type !== 'TimeBasedLinear') || !(percentage > 0) || !(intervalMinutes >= 0)) {
    throw new TemplateError(
      `${where}: a traffic routing configuration local mode cannot run: ${JSON.stringify(config)}`,
    );
  }
  return { type, percentage, intervalMinutes };
}

/** The template's CloudWatch alarms, as the local alarm evaluator reads them. */
export function alarmSpecs(t: TemplateResolver): AlarmSpec[] {
  return t.resources('AWS::CloudWatch::Alarm').map((r) => {
    const p = t.properties(r.stack, r.logicalId);
    const queries = Array.isArray(p.Metrics) ? p.Metrics.map(metricQuery) : [singleMetric(p)];
    const period = Number(p.Period ?? queries.find((q) => q.metric)?.metric?.period ?? 60);
    return {
      name: t.ref(r.stack, r.logicalId),
      arn: t.attribute(r.stack, r.logicalId, 'Arn'),
      ...(typeof p.AlarmDescription === 'string' ? { description: p.AlarmDescription } : {}),
      comparison: String(p.ComparisonOperator ?? 'GreaterThanThreshold'),
      threshold: Number(p.Threshold ?? 0),
      evaluationPeriods: Number(p.EvaluationPeriods ?? 1),
      periodSeconds: period,
      treatMissingData: String(p.TreatMissingData ?? 'missing'),
      queries: queries.map(({ metric, ...q }) => ({
        ...q,
        ...(metric
          ? {
              metric: {
                namespace: metric.namespace,
                name: metric.name,
                dimensions: metric.dimensions,
                stat: metric.stat,
              },
            }
          : {}),
      })),
    };
  });
}

type ParsedQuery = Omit<MetricQuery, 'metric'> & { metric?: MetricSpec & { period?: number } };

function singleMetric(p: Record<string, unknown>): ParsedQuery {
  return {
    id: 'm1',
    returnData: true,
    metric: {
      namespace: String(p.Namespace ?? ''),
      name: String(p.MetricName ?? ''),
      dimensions: dimensionsOf(p.Dimensions),
      stat: String(p.ExtendedStatistic ?? p.Statistic ?? 'Average'),
    },
  };
}

function metricQuery(entry: unknown): ParsedQuery {
  const q = entry as { Id?: string; ReturnData?: boolean; Expression?: string; MetricStat?: Record<string, unknown> };
  const stat = q.MetricStat as { Metric?: Record<string, unknown>; Stat?: string; Period?: number } | undefined;
  return {
    id: String(q.Id),
    returnData: q.ReturnData !== false,
    ...(q.Expression === undefined ? {} : { expression: String(q.Expression) }),
    ...(stat?.Metric
      ? {
          metric: {
            namespace: String(stat.Metric.Namespace ?? ''),
            name: String(stat.Metric.MetricName ?? ''),
            dimensions: dimensionsOf(stat.Metric.Dimensions),
            stat: String(stat.Stat ?? 'Average'),
            ...(stat.Period === undefined ? {} : { period: Number(stat.Period) }),
          },
        }
      : {}),
  };
}

function dimensionsOf(value: unknown): Record<string, string> {
  const list = Array.isArray(value) ? (value as { Name?: unknown; Value?: unknown }[]) : [];
  return Object.fromEntries(list.map((d) => [String(d.Name), String(d.Value)]));
}

/** A UUID-shaped id derived from a name, stable across restarts (CodeDeploy ids are UUIDs). */
export function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
