import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExportCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type ExportDescription,
  ExportTableToPointInTimeCommand,
} from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import type { AuditEvent } from '../events';
import { writeCheckpoint } from '../shared/audit/checkpoints';
import { KmsCheckpointSigner, S3CheckpointStore } from '../shared/audit/checkpoints-aws';
import { DynamoDbLedgerTableItems } from '../shared/audit/copy-confirm-aws';
import { buildDossier, dossierMarkdown, runsFor, unvouched } from '../shared/audit/evidence';
import { csvRow, EXPORT_COLUMNS, flatten } from '../shared/audit/export';
import { AuditReader } from '../shared/audit/reader';
import { type DescribedExport, type ExportObjects, exportArnOf, exportFolder } from '../shared/audit/table-export';
import type { VerifyReport } from '../shared/audit/verify';
import { documentClient } from '../shared/aws/clients';
import {
  AUDIT_CHECKPOINT_KEY_ALIAS,
  AUDIT_TABLE_NAME,
  auditCheckpointsBucketName,
  auditExportsBucketName,
} from '../shared/config/names';
import { CommandFailed, UsageError } from './errors';
import { printableFields, table, when } from './format';
import { provenanceCheck } from './provenance';
import type { Target } from './target';

export function auditReader(target: Target): AuditReader {
  return new AuditReader(documentClient(new DynamoDBClient(target.clientConfig)), auditTableName());
}

/** The ledger's table read by key, for `verify --from-export --confirm-in-table`. */
export function ledgerTableItems(target: Target): DynamoDbLedgerTableItems {
  return new DynamoDbLedgerTableItems(documentClient(new DynamoDBClient(target.clientConfig)), auditTableName());
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

/**
 * `gantry audit checkpoint`: every chain head signed now. Locally the CLI signs with the local key;
 * in AWS only the checkpoint function's role may sign with the checkpoint key (its policy denies
 * every other principal), so the CLI invokes that function, found by the GantryControlPlane
 * stack's `AuditCheckpointFunction` output (or GANTRY_AUDIT_CHECKPOINT_FUNCTION).
 */
export async function checkpointNow(target: Target): Promise<{ key: string; chains: number }> {
  if (target.kind === 'local') {
    const ports = await checkpointPorts(target);
    const { key, checkpoint } = await writeCheckpoint(auditReader(target), ports.signer, ports.store);
    return { key, chains: checkpoint.chains.length };
  }
  const name =
    process.env.GANTRY_AUDIT_CHECKPOINT_FUNCTION ??
    (await stackOutput(target, 'GantryControlPlane', 'AuditCheckpointFunction', 'GANTRY_AUDIT_CHECKPOINT_FUNCTION'));
  const out = await new LambdaClient(target.clientConfig).send(
    new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }),
  );
  const text = Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8');
  if (out.FunctionError !== undefined)
    throw new CommandFailed(`the checkpoint function ${name} failed (${out.FunctionError}): ${text.slice(0, 500)}`);
  const answer = JSON.parse(text) as { key?: unknown; chains?: unknown };
  if (typeof answer.key !== 'string' || typeof answer.chains !== 'number')
    throw new CommandFailed(`the checkpoint function ${name} answered ${text.slice(0, 200)}, not a checkpoint`);
  return { key: answer.key, chains: answer.chains };
}

function checkpointBucket(target: Target): Promise<string> {
  return dataBucket(target, 'AuditCheckpointBucket', auditCheckpointsBucketName, 'GANTRY_AUDIT_CHECKPOINT_BUCKET');
}

/** One of GantryData's buckets: by its name (local) or the stack's output (AWS). */
async function dataBucket(
  target: Target,
  output: string,
  localName: (account: string, region: string) => string,
  variable: string,
): Promise<string> {
  if (target.kind === 'local') return localName(target.info.accountId, target.info.region);
  return stackOutput(target, 'GantryData', output, variable);
}

/** A stack's output in AWS, or a UsageError naming the variable that stands in for it. */
async function stackOutput(target: Target, stack: string, output: string, variable: string): Promise<string> {
  const stacks = await new CloudFormationClient(target.clientConfig).send(
    new DescribeStacksCommand({ StackName: stack }),
  );
  const value = stacks.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === output)?.OutputValue;
  if (!value) throw new UsageError(`${stack} has no ${output} output: deploy it, or set ${variable}`);
  return value;
}

const S3_URL = /^s3:\/\/([^/]+)\/(.+)$/;

/**
 * The export `gantry audit verify --from-export` reads, as DynamoDB describes it: one named by
 * its ARN or by its s3:// folder (whose summary names the ARN, then described and matched to
 * that folder), waited for while it runs; or, with no value, a new export of the ledger's table
 * to the audit exports bucket (`ledger/`), waited for with progress.
 */
export async function describedLedgerExport(
  target: Target,
  which: string | true,
  say: (line: string) => void,
  pollMs = target.kind === 'local' ? 500 : 15_000,
): Promise<DescribedExport> {
  const db = new DynamoDBClient(target.clientConfig);
  let description: ExportDescription | undefined;
  let folder: { bucket: string; folder: string } | undefined;
  if (which === true) {
    const { Table } = await db.send(new DescribeTableCommand({ TableName: auditTableName() }));
    const bucket =
      process.env.GANTRY_AUDIT_EXPORT_BUCKET ??
      (await dataBucket(target, 'AuditExportBucket', auditExportsBucketName, 'GANTRY_AUDIT_EXPORT_BUCKET'));
    ({ ExportDescription: description } = await db.send(
      new ExportTableToPointInTimeCommand({
        TableArn: Table?.TableArn,
        S3Bucket: bucket,
        S3Prefix: 'ledger',
        ExportFormat: 'DYNAMODB_JSON',
      }),
    ));
    say(`Exporting ${auditTableName()} as it is now to s3://${bucket}/ledger/ (${description?.ExportArn})…`);
  } else {
    const url = S3_URL.exec(which);
    let exportArn = which;
    if (url) {
      folder = { bucket: url[1] as string, folder: exportFolder(url[2] as string) };
      // Only the export's name is read here: its files are checked once DynamoDB says where they are.
      const named = await exportArnOf(s3ExportObjects(target, folder.bucket), folder.folder);
      if (named === null)
        throw new UsageError(`the export in ${which} names no export ARN: give the export's ARN instead`);
      exportArn = named;
    } else if (!/^arn:[^:]+:dynamodb:[^:]*:\d{12}:table\/[^/]+\/export\/[^/]+$/.test(which)) {
      throw new UsageError(
        `--from-export takes an export ARN (arn:aws:dynamodb:…:table/<table>/export/<id>) or its s3://<bucket>/<prefix>/AWSDynamoDB/<id> folder, not "${which}"`,
      );
    }
    ({ ExportDescription: description } = await db.send(new DescribeExportCommand({ ExportArn: exportArn })));
  }
  const started = Date.now();
  let told = started;
  while (description?.ExportStatus === 'IN_PROGRESS') {
    if (Date.now() - told >= 30_000) {
      told = Date.now();
      say(`  still exporting after ${Math.round((told - started) / 1000)} s (DynamoDB takes minutes for any table)…`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    ({ ExportDescription: description } = await db.send(
      new DescribeExportCommand({ ExportArn: description.ExportArn }),
    ));
  }
  const d = description;
  if (
    d?.ExportStatus !== 'COMPLETED' ||
    !d.ExportArn ||
    !d.TableArn ||
    !d.S3Bucket ||
    !d.ExportManifest ||
    !d.ExportTime
  )
    throw new CommandFailed(
      `export ${d?.ExportArn} ${d?.ExportStatus ?? 'is unknown'}: ${d?.FailureMessage ?? 'no manifest'}`,
    );
  if (folder && (folder.bucket !== d.S3Bucket || folder.folder !== exportFolder(d.ExportManifest)))
    throw new CommandFailed(
      `${which} is not where DynamoDB wrote ${d.ExportArn} (s3://${d.S3Bucket}/${exportFolder(d.ExportManifest)}): its summary was copied or forged`,
    );
  return {
    exportArn: d.ExportArn,
    tableArn: d.TableArn,
    bucket: d.S3Bucket,
    manifestKey: d.ExportManifest,
    exportTime: d.ExportTime,
    itemCount: d.ItemCount,
  };
}

/** The ledger's table name (GANTRY_AUDIT_TABLE overrides it for tests). */
export function auditTableName(): string {
  return process.env.GANTRY_AUDIT_TABLE ?? AUDIT_TABLE_NAME;
}

/** GetObject for an export's files: the bytes, or undefined when there is no such object. */
export function s3ExportObjects(target: Target, bucket: string): ExportObjects {
  const s3 = new S3Client({ ...target.clientConfig, forcePathStyle: target.kind === 'local' });
  return {
    get: async (key) => {
      try {
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Body ? Buffer.from(await Body.transformToByteArray()) : Buffer.alloc(0);
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      }
    },
  };
}

/** `gantry audit query`: one row per event, its text escaped (an actor or a repository may be a sender's). */
export function eventsTable(events: readonly AuditEvent[]): string {
  if (events.length === 0) return 'No audit events match.';
  return table(
    ['TIME', 'TYPE', 'OUTCOME', 'ACTOR', 'REPOSITORY', 'COMMIT', 'ENV', 'RUN', 'SEQ'],
    printableFields(events).map((e) => [
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

/** `gantry audit verify`: each chain's state, and what broke; names and messages quote the ledger, escaped. */
export function verifyTable(verified: VerifyReport): string {
  const report = printableFields(verified);
  const overdue = new Map((report.checkpoints?.overdue ?? []).map((o) => [o.chain, o]));
  const status = (c: VerifyReport['chains'][number]) => {
    if (c.firstBreak) return `BROKEN at seq ${c.firstBreak.seq} (${c.firstBreak.kind})`;
    const late = overdue.get(c.chain);
    return late ? `UNSIGNED since seq ${late.seq} (${late.time})` : 'ok';
  };
  const rows = report.chains.map((c) => [
    c.chain,
    String(c.events),
    c.head ? `${c.head.seq} ${c.head.hash.slice(0, 12)}…` : '',
    c.expired.length > 0 ? c.expired.map((r) => `${r.from}–${r.to}`).join(',') : '',
    status(c),
  ]);
  const lines = [table(['CHAIN', 'EVENTS', 'HEAD', 'EXPIRED', 'STATUS'], rows)];
  if (report.checkpoints) {
    lines.push(
      '',
      `Checkpoints: ${report.checkpoints.checked} checked, ${report.checkpoints.failures.length - overdue.size} failed${overdue.size > 0 ? `; ${overdue.size} chain(s) with records waiting for one too long` : ''}.` +
        (report.checkpoints.later
          ? ` ${report.checkpoints.later} signed after the export: their signatures checked, their heads not compared.`
          : ''),
      ...report.checkpoints.failures.map((f) => `  ✗ ${f.message}`),
    );
  }
  const unsigned = report.checkpoints ? unsignedTails(report).filter((u) => !overdue.has(u.chain)) : [];
  if (unsigned.length > 0)
    lines.push(
      '',
      `! ${unsigned.reduce((n, u) => n + u.records, 0)} records in ${unsigned.length} chain(s) are signed by no checkpoint yet (${unsigned
        .slice(0, 3)
        .map((u) => `${u.chain} after seq ${u.after}`)
        .join(
          ', ',
        )}${unsigned.length > 3 ? ', …' : ''}): their links hold, but cutting them off a chain's end would not show. Run gantry audit checkpoint, or wait for the next hourly one.`,
    );
  const window = report.checkpoints && report.export ? unsignedWindow(report.export) : null;
  if (window) lines.push('', window);
  const holds = report.checkpoints ? 'every link and checkpoint holds' : 'every link holds (checkpoints not checked)';
  lines.push('', report.ok ? `✓ Verified ${report.events} events: ${holds}.` : '');
  if (report.firstBreak) {
    lines.push(
      `✗ First broken link: chain "${report.firstBreak.chain}", seq ${report.firstBreak.seq}: ${report.firstBreak.message}`,
    );
  }
  return lines.filter((l, i, all) => !(l === '' && i === all.length - 1)).join('\n');
}

/**
 * What an export cannot prove by signatures: whatever was written between the newest checkpoint
 * and the export's time, whether the copy still holds it or not (records cut from it leave no
 * unsigned tail to warn of). Null when a checkpoint was signed at the export's time.
 */
function unsignedWindow(copy: NonNullable<VerifyReport['export']>): string | null {
  const since = copy.newestCheckpoint;
  const count =
    "only DynamoDB's item count, with every other item of the export accounted for, says none was cut from a chain's end";
  if (since === null)
    return `! No checkpoint was signed by the export's time (${copy.asOf}): none of its records is signed, and ${count}.`;
  if (!(Date.parse(since) < Date.parse(copy.asOf))) return null;
  const minutes = Math.round((Date.parse(copy.asOf) - Date.parse(since)) / 60_000);
  return `! The export is of ${copy.asOf}, ${minutes} minute(s) after the newest checkpoint compared with it (${since}): records written in between are signed by none, and ${count}.`;
}

/** The chains whose newest records no checkpoint signed: how many, after which seq. */
function unsignedTails(report: VerifyReport): { chain: string; after: number; records: number }[] {
  return report.chains.flatMap((c) => {
    const after = c.signedTo ?? 0;
    const records = c.head === null ? 0 : c.head.seq - after;
    return records > 0 ? [{ chain: c.chain, after, records }] : [];
  });
}

/**
 * Writes `evidence-<run>.json` and `.md` for each run (provenance checked again); returns the
 * files written, and why any dossier cannot vouch for its change (`unvouched`).
 */
export async function writeEvidence(
  target: Target,
  runOrCommit: string,
  outDir: string,
): Promise<{ files: string[]; unvouched: string[] }> {
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
  if (runs.length === 0)
    throw new UsageError(
      /^[0-9a-f]{6,}$/i.test(runOrCommit)
        ? `no run or commit ${runOrCommit}: a whole commit id is looked up in the ledger, the start of one among the last 1,000 runs; give the whole id for an older commit`
        : `the audit ledger has no run or commit ${runOrCommit}`,
    );
  const ports = await checkpointPorts(target).catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const reasons: string[] = [];
  for (const runId of runs) {
    const dossier = await buildDossier(reader, runId, {
      ...(ports instanceof Error
        ? { checkpointsUnavailable: `the checkpoint bucket could not be found: ${ports.message}` }
        : { signer: ports.signer, checkpoints: ports.store }),
      provenance: provenanceCheck(target),
    });
    const base = join(outDir, `evidence-${runId}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(dossier, null, 2)}\n`);
    writeFileSync(`${base}.md`, dossierMarkdown(dossier));
    files.push(`${base}.json`, `${base}.md`);
    reasons.push(...unvouched(dossier));
  }
  return { files, unvouched: reasons };
}
