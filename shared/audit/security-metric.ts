import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type AuditRecordInput, isSecurityAuditType } from '../../events';
import { DIMENSION, METRIC } from '../observability';
import type { AuditSink } from './audit';

/**
 * The ledger as a step writes it, counting each `security.*` record it wrote as one
 * `SecurityRecords` datapoint with the record's type as its only dimension: whichever function
 * wrote it, one alarm per type watches it (`gantry-security-<type>`), so someone going around the
 * control plane is noticed when it happens, not when compliance staff next read the ledger.
 * Counted after the write: a record the ledger refused fails its function (a pipeline step fails
 * its run; deploy-events has `gantry-deploy-events-errors`). A once-keyed record the ledger already
 * holds (an event delivered again) counts again: the alarm fires on any, so a repeat changes nothing.
 */
export function countingSecurityRecords(sink: AuditSink, metrics: Metrics): AuditSink {
  return {
    async record(record: AuditRecordInput) {
      await sink.record(record);
      if (!isSecurityAuditType(record.type)) return;
      const single = metrics.singleMetric();
      // Not per function: the alarm must see every writer's records as one metric.
      single.clearDefaultDimensions();
      single.addDimension(DIMENSION.type, record.type);
      single.addMetric(METRIC.securityRecords, MetricUnit.Count, 1);
    },
  };
}
