import type { AuditEvent } from '../events';
import { type Band, computeDora, type DoraMetrics, type DoraOptions, type DoraReport } from '../shared/metrics/dora';
import { auditReader } from './audit';
import { table } from './format';
import type { Target } from './target';

/** How far before the period the ledger is read: the landing each environment's first change counts from. */
const LOOKBACK_DAYS = 90;
const DAY = 86_400_000;

/** Reads the period (with its lookback, and the failure window after it) from the ledger and computes the metrics. */
export async function doraReport(target: Target, options: DoraOptions): Promise<DoraReport> {
  const events: AuditEvent[] = [];
  const reader = auditReader(target);
  const after = (options.failureWindowHours ?? 24) * 3_600_000;
  const filter = {
    from: new Date(options.from.getTime() - LOOKBACK_DAYS * DAY).toISOString(),
    to: new Date(options.to.getTime() + after).toISOString(),
  };
  for await (const event of reader.query(filter)) events.push(event);
  return computeDora(events, options);
}

/** One row per pipeline and environment, and the total: each metric with its band. */
export function doraTable(report: DoraReport): string {
  const header = `Delivery metrics ${report.period.from.slice(0, 10)} → ${report.period.to.slice(0, 10)} (${report.period.days} days; failure window ${report.failureWindowHours} h)`;
  if (report.groups.length === 0) return `${header}\n\nNo deployments in this period.`;
  const rows = report.groups.map((g) => [g.pipeline, g.environment, ...cells(g)]);
  if (report.groups.length > 1) rows.push(['all', '', ...cells(report)]);
  return `${header}\n\n${table(
    [
      'PIPELINE',
      'ENV',
      'DEPLOYS',
      'PER DAY',
      'DAYS/WEEK',
      'LEAD TIME (MEDIAN / P90)',
      'CHANGE FAILURE',
      'RECOVERY (MEDIAN)',
      'REWORK',
    ],
    rows,
  )}\n\nEvery figure names the ledger records it counted: --json lists them.`;
}

function cells(m: DoraMetrics): string[] {
  const f = m.deploymentFrequency;
  const lead = m.leadTimeForChanges;
  const cfr = m.changeFailureRate;
  const rec = m.failedDeploymentRecoveryTime;
  const rework = m.reworkRate;
  return [
    String(f.deployments),
    withBand(String(f.perDay), f.band),
    String(f.deploymentDaysPerWeek),
    withBand(lead.medianHours === null ? '–' : `${hours(lead.medianHours)} / ${hours(lead.p90Hours ?? 0)}`, lead.band),
    withBand(cfr.rate === null ? '–' : `${percent(cfr.rate)} (${cfr.counted}/${cfr.deployments})`, cfr.band),
    withBand(
      rec.medianHours === null
        ? rec.unrecovered > 0
          ? `${rec.unrecovered} unrecovered`
          : '–'
        : hours(rec.medianHours),
      rec.band,
    ),
    rework.rate === null ? '–' : `${percent(rework.rate)} (${rework.counted}/${rework.deployments})`,
  ];
}

function withBand(text: string, band: Band | null): string {
  return band === null ? text : `${text} ${band}`;
}

function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

function hours(h: number): string {
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${Math.round(h * 10) / 10} h`;
  return `${Math.round((h / 24) * 10) / 10} d`;
}
