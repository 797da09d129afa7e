import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, rmSync, writeFileSync } from 'node:fs';
import type { AuditEvent } from '../../events';
import { auditPeriod } from './period';
import type { AuditFilter, AuditReader } from './reader';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The flat columns of csv and parquet exports; jsonl keeps each event whole. */
export const EXPORT_COLUMNS = [
  'id',
  'time',
  'type',
  'outcome',
  'chain',
  'seq',
  'actorType',
  'actorId',
  'actorProviderIdentity',
  'repository',
  'commit',
  'runId',
  'environment',
  'pipeline',
  'correlationId',
  'details',
  'prevHash',
  'hash',
] as const;

export interface ExportManifest {
  readonly file: string;
  readonly format: ExportFormat;
  readonly count: number;
  readonly sha256: string;
  readonly bytes: number;
  readonly filter: AuditFilter;
  readonly exportedAt: string;
  /** Per chain: the first and last exported link, and the chain's head when the export ran. */
  readonly chains: readonly {
    chain: string;
    events: number;
    first: { seq: number; hash: string };
    last: { seq: number; hash: string };
    head: { seq: number; hash: string } | null;
  }[];
  /**
   * Whether each chain in the export's scope was counted again through the by-chain index, whose
   * keys are what the records' hashes cover, and held exactly what was exported (an export that
   * does not is refused). `unchecked`: the table has no such index yet.
   */
  readonly completeness:
    | {
        readonly checked: true;
        readonly chains: number;
        /** Records after this (written while the export ran, or not yet in every index) are exported if seen, not counted. */
        readonly upTo: string;
      }
    | { readonly checked: false; readonly reason: string };
}

/** An export that left out records its filter selects: an index attribute was changed or removed. */
export class AuditExportIncomplete extends Error {
  override readonly name = 'AuditExportIncomplete';
}

/** How far before a run's or commit's first exported record its other records are looked for. */
const WINDOW_BEFORE_MS = 86_400_000;
/** How far after its last: a run's approval, bake and end can come days after its build. */
const WINDOW_AFTER_MS = 30 * 86_400_000;
/**
 * Records younger than this when the export starts are not counted: they may be written while it
 * reads, by a writer whose clock is behind, or not be in every index yet (GSIs are eventually
 * consistent), and a count that includes them would refuse an honest export.
 */
const SETTLE_MS = 5 * 60_000;
const COUNTS_AT_ONCE = 8;

export function flatten(event: AuditEvent): Record<(typeof EXPORT_COLUMNS)[number], string | number | null> {
  return {
    id: event.id,
    time: event.time,
    type: event.type,
    outcome: event.outcome,
    chain: event.chain,
    seq: event.seq,
    actorType: event.actor.type,
    actorId: event.actor.id,
    actorProviderIdentity: event.actor.providerIdentity,
    repository: event.subject.repository,
    commit: event.subject.commit,
    runId: event.subject.runId,
    environment: event.subject.environment,
    pipeline: event.subject.pipeline,
    correlationId: event.correlationId,
    details: JSON.stringify(event.details),
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

export function csvRow(values: readonly (string | number | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * One CSV cell. A run id, a delivery id or a provider's display name is whoever sent it's text,
 * and a spreadsheet runs a cell that starts with `= + - @`, a tab or a carriage return as a
 * formula, quoted or not, and some trim leading white space first (` =1`, a line feed then
 * `=1`): such a cell is written with a leading `'` (OWASP's advice), which spreadsheets show as text. The JSON Lines and Parquet exports hold every value as it was.
 */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = typeof value === 'string' && /^(?:\s*[=+\-@]|[\t\r])/.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

interface Sink {
  write(event: AuditEvent): Promise<void>;
  close(): Promise<void>;
}

/**
 * Streams the events a filter selects to a file, then writes `<file>.manifest.json` with the
 * count, the file's SHA-256, and the chain links covered, so a reader can prove the export whole.
 */
export async function exportAudit(
  reader: Pick<AuditReader, 'query' | 'head' | 'chains' | 'countInChain'>,
  options: {
    filter: AuditFilter;
    format: ExportFormat;
    out: string;
    now?: Date;
    onProgress?: (count: number) => void;
  },
): Promise<ExportManifest> {
  const upTo = new Date((options.now ?? new Date()).getTime() - SETTLE_MS).toISOString();
  const sink = await openSink(options.format, options.out);
  const chains = new Map<string, { events: number; settled: number; first: AuditEvent; last: AuditEvent }>();
  let count = 0;
  try {
    for await (const event of reader.query(options.filter)) {
      await sink.write(event);
      count += 1;
      const seen = chains.get(event.chain);
      const settled = event.time <= upTo ? 1 : 0;
      if (!seen) chains.set(event.chain, { events: 1, settled, first: event, last: event });
      else {
        seen.events += 1;
        seen.settled += settled;
        if (event.seq < seen.first.seq) seen.first = event;
        if (event.seq > seen.last.seq) seen.last = event;
      }
      if (count % 10_000 === 0) options.onProgress?.(count);
    }
  } finally {
    await sink.close();
  }
  let completeness: ExportManifest['completeness'];
  try {
    completeness = await checkComplete(reader, options.filter, chains, upTo);
  } catch (error) {
    // What is known to be short is not handed on as evidence.
    rmSync(options.out, { force: true });
    throw error;
  }
  const { sha256, bytes } = await digestFile(options.out);
  const manifest: ExportManifest = {
    file: options.out,
    format: options.format,
    count,
    sha256,
    bytes,
    filter: options.filter,
    exportedAt: (options.now ?? new Date()).toISOString(),
    chains: await Promise.all(
      [...chains.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(async ([chain, c]) => {
          const head = await reader.head(chain);
          return {
            chain,
            events: c.events,
            first: { seq: c.first.seq, hash: c.first.hash },
            last: { seq: c.last.seq, hash: c.last.hash },
            head: head ? { seq: head.seq, hash: head.hash } : null,
          };
        }),
    ),
    completeness,
  };
  writeFileSync(`${options.out}.manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Counts again, through the by-chain index, what every chain in the export's scope holds of its
 * filter: the query found records through copies of their fields (a run's id, a commit, a day)
 * that are not hashed, so a record whose copy was changed would be left out without a trace.
 * The scope: the repository named; else, for a run or commit, the chains its records are in (a
 * day either side of them, when no period is given); else every chain the registry lists.
 */
async function checkComplete(
  reader: Pick<AuditReader, 'chains' | 'countInChain'>,
  filter: AuditFilter,
  exported: ReadonlyMap<string, { settled: number; first: AuditEvent; last: AuditEvent }>,
  upTo: string,
): Promise<ExportManifest['completeness']> {
  const { from, to } = auditPeriod(filter);
  const byRecord = filter.runId !== undefined || filter.commit !== undefined;
  const scope = filter.repository
    ? [filter.repository]
    : byRecord
      ? [...exported.keys()]
      : [...new Set([...(await reader.chains()), ...exported.keys()])];
  const short: string[] = [];
  let unavailable = false;
  for (let i = 0; i < scope.length; i += COUNTS_AT_ONCE) {
    await Promise.all(
      scope.slice(i, i + COUNTS_AT_ONCE).map(async (chain) => {
        const seen = exported.get(chain);
        const window =
          byRecord && from === undefined && to === undefined && seen !== undefined
            ? {
                from: new Date(Date.parse(seen.first.time) - WINDOW_BEFORE_MS).toISOString(),
                to: new Date(Date.parse(seen.last.time) + WINDOW_AFTER_MS).toISOString(),
              }
            : { from, to };
        const until = window.to === undefined || window.to > upTo ? upTo : window.to;
        if (window.from !== undefined && window.from > until) return;
        const held = await reader.countInChain(chain, filter, window.from, until);
        const found = seen?.settled ?? 0;
        if (held === undefined) unavailable = true;
        // More found than held would be a record outside the window: nothing left out.
        else if (held > found)
          short.push(`${chain} holds ${held} record(s) the filter selects up to ${until}, the export found ${found}`);
      }),
    );
  }
  if (short.length > 0)
    throw new AuditExportIncomplete(
      `the export is incomplete: ${short.sort().join('; ')}. An index attribute of a record was changed or removed; run \`gantry audit verify\` to find it`,
    );
  return unavailable
    ? { checked: false, reason: 'the table has no by-chain index yet: completeness not counted' }
    : { checked: true, chains: scope.length, upTo };
}

export async function digestFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function openSink(format: ExportFormat, out: string): Promise<Sink> {
  if (format === 'parquet') return parquetSink(out);
  const stream = createWriteStream(out);
  const write = async (text: string) => {
    if (!stream.write(text)) await once(stream, 'drain');
  };
  if (format === 'csv') await write(csvRow(EXPORT_COLUMNS));
  return {
    write: (event) => write(format === 'csv' ? csvRow(Object.values(flatten(event))) : `${JSON.stringify(event)}\n`),
    close: async () => {
      stream.end();
      await once(stream, 'finish');
    },
  };
}

/** Parquet in row groups of 10,000 events, so memory stays flat however long the period. */
async function parquetSink(out: string): Promise<Sink> {
  const { ParquetWriter, fileWriter } = await import('hyparquet-writer');
  const writer = new ParquetWriter({ writer: fileWriter(out), schema: parquetSchema() });
  let rows: ReturnType<typeof flatten>[] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    const batch = rows;
    rows = [];
    await writer.write({
      columnData: EXPORT_COLUMNS.map((name) => ({
        name,
        data: name === 'seq' ? batch.map((r) => BigInt(r.seq ?? 0)) : batch.map((r) => r[name]),
      })),
      rowGroupSize: batch.length,
    });
  };
  return {
    write: async (event) => {
      rows.push(flatten(event));
      if (rows.length >= 10_000) await flush();
    },
    close: async () => {
      await flush();
      await writer.finish();
    },
  };
}

function parquetSchema() {
  return [
    { name: 'root', num_children: EXPORT_COLUMNS.length },
    ...EXPORT_COLUMNS.map((name) =>
      name === 'seq'
        ? { name, type: 'INT64' as const, repetition_type: 'REQUIRED' as const }
        : {
            name,
            type: 'BYTE_ARRAY' as const,
            converted_type: 'UTF8' as const,
            repetition_type: 'OPTIONAL' as const,
          },
    ),
  ];
}
