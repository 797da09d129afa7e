import { marshall } from '@aws-sdk/util-dynamodb';
import type { AuditEvent } from '../../events';
import { writeExportFiles } from '../../local/dynamodb/export-files';
import { GENESIS_HASH, hashEvent, type UnhashedEvent } from '../../shared/audit/chain';
import type { ExportObjects } from '../../shared/audit/table-export';

/** The ledger table and one export of it, as the export tests name them. */
export const EXPORT_FOLDER = 'ledger/AWSDynamoDB/01764806400000-0a1b2c3d';
export const LEDGER_TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/gantry-audit';
export const exportArnOf = (folder: string) => `${LEDGER_TABLE_ARN}/export/${folder.split('/').pop()}`;

/** One hash chain of `length` records of repository `name`; `expiresAt(seq)` gives each record's expiry (epoch s). */
export function ledgerChain(
  name: string,
  length: number,
  expiresAt: (seq: number) => number,
  start = new Date('2026-11-01T00:00:00Z'),
): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let seq = 1; seq <= length; seq++) {
    const prev = events.at(-1);
    const unhashed: UnhashedEvent = {
      id: `01K${name.length}${String(seq).padStart(22, '0')}`,
      time: new Date(start.getTime() + seq * 1000).toISOString(),
      type: 'run.started',
      actor: { type: 'system', id: 'gantry', providerIdentity: null },
      subject: { repository: name, commit: 'a'.repeat(40), runId: `r-${seq}`, environment: null, pipeline: 'app' },
      outcome: 'success',
      details: { seq },
      correlationId: `c-${seq}`,
      chain: name,
      seq,
      prevHash: prev?.hash ?? GENESIS_HASH,
      expiresAt: expiresAt(seq),
      prevExpiresAt: prev?.expiresAt ?? null,
    };
    events.push({ ...unhashed, hash: hashEvent(unhashed) });
  }
  return events;
}

/** Writes the items as a DynamoDB export (DYNAMODB_JSON) made at `time` into a bucket held in memory. */
export async function exportedLedger(
  items: readonly Record<string, unknown>[],
  time: Date,
  folder = EXPORT_FOLDER,
  bucket = new Map<string, Buffer>(),
): Promise<{ bucket: Map<string, Buffer>; objects: ExportObjects }> {
  async function* marshalled() {
    for (const item of items) yield marshall(item, { removeUndefinedValues: true });
  }
  await writeExportFiles(
    marshalled(),
    'chain',
    {
      bucket: 'exports',
      folder,
      exportArn: exportArnOf(folder),
      tableArn: LEDGER_TABLE_ARN,
      tableId: 't',
      startTime: time,
      exportTime: time,
      prefix: 'ledger',
    },
    async (key, body) => void bucket.set(key, body),
  );
  return { bucket, objects: { get: async (key) => bucket.get(key) } };
}
