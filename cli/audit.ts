import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { AuditEvent } from '../events';
import { KmsCheckpointSigner, S3CheckpointStore } from '../shared/audit/checkpoints';
import { buildDossier, dossierMarkdown, runsFor } from '../shared/audit/evidence';
import { csvRow, EXPORT_COLUMNS, flatten } from '../shared/audit/export';
import { AuditReader } from '../shared/audit/reader';
import type { VerifyReport } from '../shared/audit/verify';
import { documentClient } from '../shared/aws/clients';
import { AUDIT_CHECKPOINT_KEY_ALIAS, AUDIT_TABLE_NAME, auditCheckpointsBucketName } from '../shared/config/names';
import { UsageError } from './errors';
import { table, when } from './format';
import { provenanceCheck } from './provenance';
import type { Target } from './target';

export function auditReader(target: Target): AuditReader {
  return new AuditReader(
    documentClient(new DynamoDBClient(target.clientConfig)),
    process.env.GANTRY_AUDIT_TABLE ?? AUDIT_TABLE_NAME,
  );
}

/** The checkpoint signer and store: the KMS key by alias, the bucket by name (local) or stack output (AWS). */
export async function checkpointPorts(target: Target) {
  const bucket = process.env.GANTRY_AUDIT_CHECKPOINT_BUCKET ?? (await checkpointBucket(target));
  const s3 = new S3Client({ ...target.clientConfig, forcePathStyle: target.kind === 'local' });
  return {
    signer: new KmsCheckpointSigner(new KMSClient(target.clientConfig), AUDIT_CHECKPOINT_KEY_ALIAS),
    store: new S3CheckpointStore(s3, bucket),
  };
}

async function checkpointBucket(target: Target): Promise<string> {
  if (target.kind === 'local') return auditCheckpointsBucketName(target.info.accountId, target.info.region);
  const stacks = await new CloudFormationClient(target.clientConfig).send(
    new DescribeStacksCommand({ StackName: 'GantryData' }),
  );
  const name = stacks.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'AuditCheckpointBucket')?.OutputValue;
  if (!name)
    throw new UsageError(
      'GantryData has no AuditCheckpointBucket output: deploy it, or set GANTRY_AUDIT_CHECKPOINT_BUCKET',
    );
  return name;
}

export function eventsTable(events: readonly AuditEvent[]): string {
  if (events.length === 0) return 'No audit events match.';
  return table(
    ['TIME', 'TYPE', 'OUTCOME', 'ACTOR', 'REPOSITORY', 'COMMIT', 'ENV', 'RUN', 'SEQ'],
    events.map((e) => [
      when(e.time),
      e.type,
      e.outcome,
      e.actor.id,
      e.subject.repository ?? '',
      e.subject.commit?.slice(0, 7) ?? '',
      e.subject.environment ?? '',
      e.subject.runId?.slice(0, 12) ?? '',
      `${e.chain === '-' ? '' : ''}${e.seq}`,
    ]),
  );
}

export function eventsCsv(events: readonly AuditEvent[]): string {
  return [csvRow(EXPORT_COLUMNS), ...events.map((e) => csvRow(Object.values(flatten(e))))].join('');
}

export function verifyTable(report: VerifyReport): string {
  const rows = report.chains.map((c) => [
    c.chain,
    String(c.events),
    c.head ? `${c.head.seq} ${c.head.hash.slice(0, 12)}…` : '',
    c.expired.length > 0 ? c.expired.map((r) => `${r.from}–${r.to}`).join(',') : '',
    c.firstBreak ? `BROKEN at seq ${c.firstBreak.seq} (${c.firstBreak.kind})` : 'ok',
  ]);
  const lines = [table(['CHAIN', 'EVENTS', 'HEAD', 'EXPIRED', 'STATUS'], rows)];
  if (report.checkpoints) {
    lines.push(
      '',
      `Checkpoints: ${report.checkpoints.checked} checked, ${report.checkpoints.failures.length} failed.`,
      ...report.checkpoints.failures.map((f) => `  ✗ ${f.message}`),
    );
  }
  lines.push('', report.ok ? `✓ Verified ${report.events} events: every link and checkpoint holds.` : '');
  if (report.firstBreak) {
    lines.push(
      `✗ First broken link: chain "${report.firstBreak.chain}", seq ${report.firstBreak.seq}: ${report.firstBreak.message}`,
    );
  }
  return lines.filter((l, i, all) => !(l === '' && i === all.length - 1)).join('\n');
}

/** Writes `evidence-<run>.json` and `.md` for each run (provenance checked again); returns the files written. */
export async function writeEvidence(target: Target, runOrCommit: string, outDir: string): Promise<string[]> {
  const reader = auditReader(target);
  let runs = await runsFor(reader, runOrCommit);
  if (runs.length === 0 && /^[0-9a-f]{6,}$/i.test(runOrCommit)) {
    // A prefix, as `gantry runs list` shows run ids and commits: resolved through the runs table.
    const { runStore } = await import('./runs');
    const recent = await runStore(target).list({ limit: 1000 });
    const byRun = recent.filter((r) => r.runId.startsWith(runOrCommit));
    const byCommit = recent.filter((r) => r.commit.startsWith(runOrCommit));
    runs = [...new Set((byRun.length > 0 ? byRun : byCommit).map((r) => r.runId))];
  }
  if (runs.length === 0) throw new UsageError(`the audit ledger has no run or commit ${runOrCommit}`);
  const ports = await checkpointPorts(target).catch(() => undefined);
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const runId of runs) {
    const dossier = await buildDossier(reader, runId, {
      ...(ports ? { signer: ports.signer, checkpoints: ports.store } : {}),
      provenance: provenanceCheck(target),
    });
    const base = join(outDir, `evidence-${runId}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(dossier, null, 2)}\n`);
    writeFileSync(`${base}.md`, dossierMarkdown(dossier));
    files.push(`${base}.json`, `${base}.md`);
  }
  return files;
}
