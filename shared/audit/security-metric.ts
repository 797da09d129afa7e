import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type AuditRecordInput, ENDED_UNREPORTED, isSecurityAuditType } from '../../events';
import { DIMENSION, METRIC } from '../observability';
import type { AuditSink } from './audit';

/**
 * The ledger as a step writes it, counting each `security.*` record it wrote as one
 * `SecurityRecords` datapoint with the record's type as its only dimension: whichever function
 * wrote it, one alarm per type watches it (`gantry-security-<type>`), so someone going around the
 * control plane is noticed when it happens, not when compliance staff next read the ledger. And
 * each `run.failed` of a run bound for an environment as one `ReleaseRunsFailed` datapoint of its
 * pipeline and environment: a release's failure has an alarm of its own
 * (`gantry-pipeline-<name>-<environment>-failed`), which failing pull requests cannot hold in ALARM
 * (the pipeline's execution alarm counts every run, and notifies only when its state changes).
 * Counted after the write: a record the ledger refused fails its function (a pipeline step fails
 * its run; deploy-events has `gantry-deploy-events-errors`). A once-keyed record the ledger already
 * holds (an event delivered again) counts again: the alarm fires on any, so a repeat changes nothing.
 */
export function countingWatchedRecords(sink: AuditSink, metrics: Metrics): AuditSink {
  return {
    async record(record: AuditRecordInput) {
      await sink.record(record);
      const { pipeline, environment } = record.subject;
      if (isSecurityAuditType(record.type)) count(metrics, METRIC.securityRecords, { [DIMENSION.type]: record.type });
      // An operator's cancel is deliberate: it ends a run, and fails no release.
      else if (
        record.type === 'run.failed' &&
        pipeline &&
        environment &&
        record.details.error !== ENDED_UNREPORTED.cancelled
      )
        count(metrics, METRIC.releaseRunsFailed, {
          [DIMENSION.pipeline]: pipeline,
          [DIMENSION.environment]: environment,
        });
    },
  };
}

/** One datapoint of `metric` with exactly `dimensions`: not per function, so an alarm sees every writer's records as one metric. */
function count(metrics: Metrics, metric: string, dimensions: Record<string, string>): void {
  const single = metrics.singleMetric();
  single.clearDefaultDimensions();
  for (const [name, value] of Object.entries(dimensions)) single.addDimension(name, value);
  single.addMetric(metric, MetricUnit.Count, 1);
}
