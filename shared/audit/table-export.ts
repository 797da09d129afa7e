import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { exactNumber } from '../aws/clients';

/** The objects of an export, by key in its bucket (S3's GetObject; undefined when there is none). */
export interface ExportObjects {
  get(key: string): Promise<Buffer | undefined>;
}

/** An export that cannot be read as a whole, faithful copy of the table: what is wrong, and what to do. */
export class ExportUnreadableError extends Error {
  override readonly name = 'Gantry.ExportUnreadable';
}

/** `manifest-summary.json`, the fields read here. */
interface ExportSummary {
  readonly exportArn?: string;
  readonly tableArn?: string;
  readonly exportTime?: string;
  readonly itemCount?: number;
  readonly outputFormat?: string;
  readonly exportType?: string;
  readonly manifestFilesS3Key?: string;
}

/** One line of `manifest-files.json`. */
export interface ExportDataFile {
  readonly itemCount: number;
  readonly md5Checksum: string;
  readonly dataFileS3Key: string;
}

/** What the export says it holds, once its manifests are read. */
export interface ExportManifest {
  readonly exportArn: string | null;
  readonly tableArn: string | null;
  /** The point in time the export copies the table at. */
  readonly exportTime: string | null;
  readonly itemCount: number;
  readonly files: readonly ExportDataFile[];
}

/**
 * What DynamoDB itself says of an export (DescribeExport). Unlike the manifests in the bucket,
 * which anyone who may write there can rewrite, this is what the checks below trust for the
 * export's time, its table, its place and its item count.
 */
export interface DescribedExport {
  readonly exportArn: string;
  readonly tableArn: string;
  readonly bucket: string;
  /** The key of `manifest-summary.json`. */
  readonly manifestKey: string;
  readonly exportTime: Date;
  readonly itemCount: number | undefined;
}

/** A DynamoDB export of the ledger's table, its files' manifests checked against DynamoDB's record of it. */
export interface LedgerExport extends ExportManifest {
  /** The time the copy is of, as DynamoDB recorded it (never the manifest's, which is not protected). */
  readonly asOf: Date;
}

/**
 * Opens the export DynamoDB described, refusing (with what to do) an export of another table,
 * manifests that name another export, and files that hold more or fewer items than DynamoDB
 * exported (records removed from or added to the copy after the export, manifests rewritten to
 * match).
 */
export async function openLedgerExport(
  objects: ExportObjects,
  described: DescribedExport,
  ledgerTable: string,
): Promise<LedgerExport> {
  if (!described.tableArn.endsWith(`:table/${ledgerTable}`))
    throw new ExportUnreadableError(
      `${described.exportArn} is an export of ${described.tableArn}, not of the ledger's table ${ledgerTable}`,
    );
  const manifest = await readExportManifest(objects, exportFolder(described.manifestKey));
  if (manifest.exportArn !== described.exportArn)
    throw new ExportUnreadableError(
      `the manifest in s3://${described.bucket}/${described.manifestKey} names export ${manifest.exportArn}, not ${described.exportArn}: it was replaced`,
    );
  // DynamoDB's count is the one thing the bucket cannot rewrite: without it, nothing tells removed
  // records. Items added to make up the count must pass for real ones: verify accounts for each (copy-items.ts).
  if (described.itemCount === undefined)
    throw new ExportUnreadableError(
      `DynamoDB reports no item count for ${described.exportArn}: its files cannot be checked against what it exported`,
    );
  if (described.itemCount !== manifest.itemCount)
    throw new ExportUnreadableError(
      `DynamoDB exported ${described.itemCount} items, the export's files list ${manifest.itemCount}: items were removed or added after the export`,
    );
  return { ...manifest, asOf: described.exportTime };
}

/** Where an export's manifests are: `<prefix>/AWSDynamoDB/<export id>`, with or without a trailing `/manifest-summary.json`. */
export function exportFolder(key: string): string {
  return key.replace(/\/+$/, '').replace(/\/manifest-summary\.json$/, '');
}

/**
 * The export ARN the summary under `folder` names (null when it names none): only which export
 * to ask DynamoDB about, before anything under the folder is trusted.
 */
export async function exportArnOf(objects: ExportObjects, folder: string): Promise<string | null> {
  const { summary } = await readSummary(objects, folder);
  return typeof summary.exportArn === 'string' ? summary.exportArn : null;
}

async function readSummary(objects: ExportObjects, folder: string) {
  const summaryKey = `${folder}/manifest-summary.json`;
  const summaryBytes = await objects.get(summaryKey);
  if (summaryBytes === undefined)
    throw new ExportUnreadableError(
      `no ${summaryKey}: name the export's folder (<prefix>/AWSDynamoDB/<export id>) or its ARN, and wait until it is COMPLETED`,
    );
  const summary = parseJson<ExportSummary>(summaryBytes, summaryKey);
  if (typeof summary !== 'object' || summary === null || Array.isArray(summary))
    throw new ExportUnreadableError(`${summaryKey} is not a DynamoDB export summary`);
  return { summary, summaryKey };
}

/** Reads and checks the manifests of the DynamoDB export under `folder`. */
export async function readExportManifest(objects: ExportObjects, folder: string): Promise<ExportManifest> {
  const { summary, summaryKey } = await readSummary(objects, folder);
  if (summary.outputFormat !== undefined && summary.outputFormat !== 'DYNAMODB_JSON')
    throw new ExportUnreadableError(
      `the export is ${summary.outputFormat}: export the table again with --export-format DYNAMODB_JSON`,
    );
  if (summary.exportType !== undefined && summary.exportType !== 'FULL_EXPORT')
    throw new ExportUnreadableError(
      `the export is ${summary.exportType}: it holds changes, not the table; verify a FULL_EXPORT`,
    );
  const filesKey = summary.manifestFilesS3Key ?? `${folder}/manifest-files.json`;
  // The manifests are not protected: every file they name must at least be this export's.
  if (typeof filesKey !== 'string' || !filesKey.startsWith(`${folder}/`))
    throw new ExportUnreadableError(`${summaryKey} names a file list outside the export's folder: ${String(filesKey)}`);
  const filesBytes = await objects.get(filesKey);
  if (filesBytes === undefined) throw new ExportUnreadableError(`the export's file list ${filesKey} is missing`);
  const files = filesBytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => parseJson<ExportDataFile>(line, filesKey));
  const listedKeys = new Set<string>();
  for (const file of files) {
    if (
      !isObject(file) ||
      typeof file.dataFileS3Key !== 'string' ||
      !Number.isSafeInteger(file.itemCount) ||
      file.itemCount < 0 ||
      typeof file.md5Checksum !== 'string'
    )
      throw new ExportUnreadableError(`${filesKey} lists a file without dataFileS3Key, itemCount and md5Checksum`);
    if (!file.dataFileS3Key.startsWith(`${folder}/data/`))
      throw new ExportUnreadableError(
        `${filesKey} lists ${file.dataFileS3Key}, outside the export's folder: a data file of another export`,
      );
    if (listedKeys.has(file.dataFileS3Key))
      throw new ExportUnreadableError(`${filesKey} lists ${file.dataFileS3Key} twice: the manifests were changed`);
    listedKeys.add(file.dataFileS3Key);
  }
  const listed = files.reduce((sum, f) => sum + f.itemCount, 0);
  if (typeof summary.itemCount === 'number' && summary.itemCount !== listed)
    throw new ExportUnreadableError(
      `${summaryKey} counts ${summary.itemCount} items, its files ${listed}: the manifests were changed`,
    );
  return {
    exportArn: summary.exportArn ?? null,
    tableArn: summary.tableArn ?? null,
    exportTime: summary.exportTime ?? null,
    itemCount: listed,
    files,
  };
}

/**
 * Every item of the export, as plain objects (the table's DynamoDB JSON unmarshalled), file by
 * file: each data file is checked against the manifest's MD5 and item count before its items are
 * handed on, and the next file is fetched while one is read.
 */
export async function* exportedItems(
  objects: ExportObjects,
  manifest: ExportManifest,
): AsyncGenerator<Record<string, unknown>> {
  const fetch = (file: ExportDataFile | undefined) =>
    file === undefined ? undefined : fetchDataFile(objects, file).then((gz) => itemsOfDataFile(gz, file));
  let next = fetch(manifest.files[0]);
  for (let i = 0; i < manifest.files.length; i++) {
    const current = next;
    next = fetch(manifest.files[i + 1]);
    // The prefetch is awaited in turn; a failed one surfaces there, never unhandled meanwhile.
    next?.catch(() => undefined);
    yield* (await current) ?? [];
  }
}

/** A data file's bytes, as the manifest lists it. */
export async function fetchDataFile(objects: ExportObjects, file: ExportDataFile): Promise<Buffer> {
  const gz = await objects.get(file.dataFileS3Key);
  if (gz === undefined)
    throw new ExportUnreadableError(`data file ${file.dataFileS3Key} is listed in the manifest but missing`);
  return gz;
}

/**
 * A data file's items, as plain objects (the table's DynamoDB JSON unmarshalled), once the file
 * is checked against the manifest's MD5 and item count.
 */
export function itemsOfDataFile(gz: Buffer, file: ExportDataFile): Record<string, unknown>[] {
  const md5 = createHash('md5').update(gz).digest('base64');
  if (md5 !== file.md5Checksum)
    throw new ExportUnreadableError(
      `data file ${file.dataFileS3Key} has MD5 ${md5}, the manifest says ${file.md5Checksum}: it was changed after the export`,
    );
  // One parse per file: the lines joined into an array (many small JSON.parse calls cost twice as much).
  let text: string;
  try {
    text = gunzipSync(gz).toString('utf8').trim();
  } catch {
    throw new ExportUnreadableError(`data file ${file.dataFileS3Key} is not gzip: not a DynamoDB export, or damaged`);
  }
  const lines = text === '' ? [] : parseJson<unknown[]>(`[${text.replaceAll('\n', ',')}]`, file.dataFileS3Key);
  const items: Record<string, unknown>[] = [];
  for (const line of lines) {
    const Item = isObject(line) ? (line as { Item?: unknown }).Item : undefined;
    if (!isObject(Item)) throw new ExportUnreadableError(`${file.dataFileS3Key} has a line without an Item`);
    let item: Record<string, unknown>;
    try {
      // As the table's own reads do: a number Gantry never writes reads as its digits (exactNumber).
      item = unmarshall(Item as Record<string, AttributeValue>, { wrapNumbers: exactNumber });
    } catch (error) {
      throw new ExportUnreadableError(
        `${file.dataFileS3Key} has an Item that is not DynamoDB JSON (${(error as Error).message}): damaged`,
      );
    }
    // The ledger table's key: every item of a copy of it has one.
    if (typeof item.chain !== 'string' || typeof item.seq !== 'number')
      throw new ExportUnreadableError(
        `${file.dataFileS3Key} has an item without the table's key (chain, seq): not an export of the ledger`,
      );
    items.push(item);
  }
  if (items.length !== file.itemCount)
    throw new ExportUnreadableError(
      `data file ${file.dataFileS3Key} holds ${items.length} items, the manifest says ${file.itemCount}`,
    );
  return items;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson<T>(json: Buffer | string, key: string): T {
  try {
    return JSON.parse(typeof json === 'string' ? json : json.toString('utf8')) as T;
  } catch {
    throw new ExportUnreadableError(`${key} is not JSON: not a DynamoDB export, or damaged`);
  }
}
