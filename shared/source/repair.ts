import type { SourceSnapshot } from '../../events';
import type { Delivery } from '../status/deliver';
import { tokenForms } from '../status/messages';
import { getBytes } from './api';
import type { ArchiveTarget } from './archives';
import { shapingAttributes } from './attributes';
import { BLOB_APIS } from './blobs';
import { SourceError } from './errors';
import { type GitFile, type GitTreeEntry, gitObjectId, objectFormatOf } from './git-tree';
import { type CommittedFile, type Snapshot, snapshotContent } from './repack';
import type { Folder } from './trees';

/** How much of a snapshot may be taken from the commit's blobs rather than the archive. */
export interface RepairLimits {
  readonly maxFiles: number;
  /** The taken files' bytes together. */
  readonly maxBytes: number;
  /** Folders of the commit read to find what differs. */
  readonly maxFolders: number;
}

/** 200 files, 32 MiB, 200 folders: far more than attributes shape in a normal repository. */
export const DEFAULT_REPAIR_LIMITS: RepairLimits = { maxFiles: 200, maxBytes: 32 * 1024 * 1024, maxFolders: 200 };

/** Blobs fetched at once. */
const PARALLEL = 8;

/** What makes the snapshot the commit's tree: committed files to take, archive paths to drop. */
export interface RepairPlan {
  readonly take: readonly GitFile[];
  readonly drop: readonly string[];
}

/** A refusal that says which bound the repair would pass. */
export class RepairRefusedError extends SourceError {
  override readonly name = 'RepairRefusedError';

  constructor(reason: string) {
    super('tree_mismatch', reason);
  }
}

/**
 * Every path where the snapshot and the commit differ, found by walking down only the folders
 * whose ids differ: a file or link whose id or mode differs, or that the archive left out, is
 * taken from the commit; what the archive holds and the commit does not is dropped. A submodule
 * cannot be taken (it is another repository's commit).
 * @throws RepairRefusedError past `limits`, or for a submodule
 */
export async function planRepair(
  list: (folder: Folder) => Promise<readonly GitTreeEntry[]>,
  snapshot: Snapshot,
  committed: string,
  limits: RepairLimits,
): Promise<RepairPlan> {
  const take: GitFile[] = [];
  const drop: string[] = [];
  const pending: Folder[] = [{ path: '', id: committed }];
  for (let read = 0; pending.length > 0; read++) {
    if (read >= limits.maxFolders)
      throw new RepairRefusedError(`more than ${limits.maxFolders} folders differ from the commit’s`);
    const folder = pending.shift() as Folder;
    const mine = new Map((snapshot.tree.entriesOf(folder.path) ?? []).map((e) => [e.name, e]));
    for (const entry of await list(folder)) {
      const own = mine.get(entry.name);
      mine.delete(entry.name);
      if (own?.mode === entry.mode && own.id === entry.id) continue;
      const path = folder.path === '' ? entry.name : `${folder.path}/${entry.name}`;
      if (entry.mode === '160000') throw new RepairRefusedError(`${path} is a submodule, which archives leave empty`);
      if (own !== undefined && (own.mode === '40000') !== (entry.mode === '40000')) drop.push(path);
      if (entry.mode === '40000') pending.push({ path, id: entry.id });
      else take.push({ path, mode: entry.mode, id: entry.id });
      if (take.length > limits.maxFiles)
        throw new RepairRefusedError(`more than ${limits.maxFiles} files differ from the commit’s blobs`);
    }
    for (const name of mine.keys()) drop.push(folder.path === '' ? name : `${folder.path}/${name}`);
  }
  return { take, drop };
}

/**
 * The committed bytes of each file, read by blob id through the provider's API with the
 * connection's token, each checked to hash to its id (`blob <length>\0<bytes>`), so a provider
 * or a proxy cannot put other bytes in the snapshot.
 * @throws SourceError `tree_mismatch` for bytes that are not the blob, or past `limits.maxBytes`; another code when the API fails
 */
export async function fetchBlobs(
  target: ArchiveTarget,
  files: readonly GitFile[],
  delivery: Delivery,
  limits: RepairLimits,
): Promise<CommittedFile[]> {
  const api = BLOB_APIS[target.provider];
  if (api === undefined) throw new SourceError('misconfigured', `${target.provider} serves no blob by id`);
  const fetched: CommittedFile[] = [];
  let total = 0;
  for (let at = 0; at < files.length; at += PARALLEL) {
    const batch = await Promise.all(files.slice(at, at + PARALLEL).map((file) => fetchBlob(target, file, delivery)));
    total += batch.reduce((sum, f) => sum + f.bytes.length, 0);
    if (total > limits.maxBytes)
      throw new RepairRefusedError(
        `the files that differ from the commit’s blobs hold more than ${limits.maxBytes} bytes`,
      );
    fetched.push(...batch);
  }
  return fetched;
}

async function fetchBlob(target: ArchiveTarget, file: GitFile, delivery: Delivery): Promise<CommittedFile> {
  const api = BLOB_APIS[target.provider];
  if (api === undefined) throw new SourceError('misconfigured', `${target.provider} serves no blob by id`);
  const get = api.get(target, file.id);
  const what = `the commit’s blob of ${file.path} could not be read`;
  const body = await getBytes(
    target.provider,
    what,
    { ...get, secrets: [...get.secrets, ...tokenForms(target.token)] },
    delivery,
  );
  const bytes = api.read(body);
  if (bytes === undefined) throw new SourceError('unavailable', `${what}: the answer is not a blob`);
  if (gitObjectId('blob', bytes, objectFormatOf(file.id)) !== file.id)
    throw new SourceError('tree_mismatch', `the provider’s blob of ${file.path} does not hash to its id ${file.id}`);
  return { file, bytes };
}

/** Repaired paths named in a snapshot's record. */
const MAX_PATHS_NAMED = 20;
const GITATTRIBUTES = /(?:^|\/)\.gitattributes$/;

/**
 * What a repaired snapshot's record says: how many files were taken from the commit's blobs,
 * which (the first few), and the archive-shaping attributes its `.gitattributes` set (read from
 * the snapshot, which now holds them as committed). Undefined for a snapshot that was not repaired.
 */
export function repairRecord(snapshot: Snapshot): SourceSnapshot['repaired'] {
  const repaired = snapshot.repaired;
  if (repaired === undefined) return undefined;
  const attributes = [
    ...new Set(
      snapshot.entries
        .filter((e) => e.file !== undefined && GITATTRIBUTES.test(e.path))
        .flatMap((e) => shapingAttributes(snapshotContent(e).toString('utf8'))),
    ),
  ];
  const n = repaired.taken.length;
  const dropped = repaired.dropped.length > 0 ? `, ${repaired.dropped.length} the commit does not hold removed` : '';
  return {
    files: n,
    dropped: repaired.dropped.length,
    paths: repaired.taken.slice(0, MAX_PATHS_NAMED),
    attributes,
    summary: `${n} file${n === 1 ? '' : 's'} taken from the commit’s blobs because the archive differed (attributes: ${attributes.join(', ') || 'none found'})${dropped}`,
  };
}
