import type { Delivery } from '../status/deliver';
import { tokenForms } from '../status/messages';
import { type ApiGet, getJson } from './api';
import type { ArchiveTarget } from './archives';
import { checkAttributes } from './attributes';
import { SourceError } from './errors';
import { type GitTreeEntry, objectFormatOf, treeId } from './git-tree';
import { rebuildSnapshot, type Snapshot } from './repack';
import { DEFAULT_REPAIR_LIMITS, fetchBlobs, planRepair, type RepairLimits, RepairRefusedError } from './repair';
import { type Folder, TREE_APIS, type TreeApi } from './trees';

/** A folder is read at most this many pages (100 000 entries at Gitea's 1 000, 10 000 at GitLab's 100). */
const MAX_PAGES = 100;
/** Naming what differs reads at most this many folders, and names at most this many paths. */
const MAX_FOLDERS_READ = 25;
const MAX_NAMED = 5;

/** What the provider's commit and the snapshot are compared through: the target, its API, and the folders already listed. */
interface Reader {
  readonly target: ArchiveTarget;
  readonly api: TreeApi;
  readonly delivery: Delivery;
  readonly listed: Map<string, GitTreeEntry[]>;
}

/**
 * Binds the snapshot to the commit it is named after: the git tree its files make must be the
 * commit's tree, as the provider's git data API names it (or, on GitLab, as the root's listed
 * entries make it). A provider archive is `git archive` output, which `.gitattributes` can shape
 * (`export-subst` writes commit metadata, such as a pull request's description, into files;
 * `export-ignore` leaves files out; `eol=crlf` rewrites line ends): where the trees differ, each
 * file that differs is taken from the commit's blobs (checked against its id), what the commit
 * does not hold is dropped, and the result must then be the commit's tree. Where the provider has
 * no git data API (Bitbucket), the commit's `.gitattributes` are read instead.
 * @returns the snapshot, or the repaired one (with `repaired` set) — always the commit's exact tree
 * @throws SourceError `tree_mismatch` when the snapshot cannot be made the commit's tree within `limits`; another code when the API fails (fail closed)
 */
export async function verifySnapshot(
  target: ArchiveTarget,
  snapshot: Snapshot,
  delivery: Delivery,
  limits: RepairLimits = DEFAULT_REPAIR_LIMITS,
): Promise<Snapshot> {
  const api = TREE_APIS[target.provider];
  if (api === undefined) {
    await checkAttributes(target, delivery);
    return snapshot;
  }
  const reader: Reader = { target, api, delivery, listed: new Map() };
  const committed = await commitTreeOf(reader);
  if (committed === snapshot.tree.id) return snapshot;
  const repaired = await repair(reader, snapshot, committed, limits);
  if (committed === repaired.tree.id) return repaired;
  const named = await differencesOf(reader, repaired, committed).catch(() => []);
  throw mismatch(target, repaired, committed, named);
}

/** The snapshot with what differs taken from the commit's blobs; a bound passed refuses it, saying which. */
async function repair(reader: Reader, snapshot: Snapshot, committed: string, limits: RepairLimits): Promise<Snapshot> {
  try {
    const plan = await planRepair((folder) => listFolder(reader, folder), snapshot, committed, limits);
    const taken = await fetchBlobs(reader.target, plan.take, reader.delivery, limits);
    return rebuildSnapshot(snapshot, taken, plan.drop, objectFormatOf(committed));
  } catch (error) {
    if (!(error instanceof RepairRefusedError)) throw error;
    throw new SourceError(
      'tree_mismatch',
      `the provider’s archive of ${reader.target.commit.slice(0, 12)} differs from the commit’s tree and cannot be made it: ${error.message} — Gantry builds only the commit’s exact tree`,
    );
  }
}

/**
 * The refusal, what differs first: the run's record keeps a reason's first 200 characters, so
 * the paths come before the hint, and the full tree ids (for the logs) last.
 */
function mismatch(target: ArchiveTarget, snapshot: Snapshot, committed: string, named: readonly string[]): SourceError {
  const empty = snapshot.emptyFolders.map((f) => `${f}/ is an empty folder in the archive (a submodule?)`);
  const details = [...named, ...empty].slice(0, MAX_NAMED);
  const what = details.length > 0 ? `: ${details.join(', ')}` : '';
  return new SourceError(
    'tree_mismatch',
    `the provider’s archive of ${target.commit.slice(0, 12)} differs from the commit’s tree${what} (.gitattributes export-subst/export-ignore?) — Gantry builds only the commit’s exact tree (the commit’s tree is ${committed}, the archive’s ${snapshot.tree.id})`,
  );
}

async function commitTreeOf(reader: Reader): Promise<string> {
  const { api, target } = reader;
  if (api.commitTree === undefined) {
    const root = await listFolder(reader, { path: '', id: undefined });
    return treeId(root, objectFormatOf(target.commit));
  }
  const body = await get(reader, `the commit’s tree could not be read`, api.commitTree.get(target));
  const id = api.commitTree.read(body);
  if (id === undefined) throw new SourceError('unavailable', 'the provider’s commit answer names no tree id');
  return id;
}

/** Every entry of a folder of the commit, page after page (each folder listed once). */
async function listFolder(reader: Reader, folder: Folder): Promise<GitTreeEntry[]> {
  const known = reader.listed.get(folder.path);
  if (known !== undefined) return known;
  const entries: GitTreeEntry[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const what = `the commit’s folder /${folder.path} could not be listed`;
    const body = await get(reader, what, reader.api.entries.get(reader.target, folder, page));
    const read = reader.api.entries.read(body);
    if (read === undefined) throw new SourceError('unavailable', `${what}: the answer is not a tree listing`);
    entries.push(...read.entries);
    if (read.more) continue;
    reader.listed.set(folder.path, entries);
    return entries;
  }
  throw new SourceError('bad_archive', `the commit’s folder /${folder.path} lists more than ${MAX_PAGES} pages`);
}

function get(reader: Reader, what: string, request: ApiGet): Promise<unknown> {
  const secrets = [...request.secrets, ...tokenForms(reader.target.token)];
  return getJson(reader.target.provider, what, { ...request, secrets }, reader.delivery);
}

/**
 * The paths where the snapshot and the commit differ, found by walking down only the folders
 * whose ids differ (a few reads for one changed file, however large the repository).
 */
async function differencesOf(reader: Reader, snapshot: Snapshot, committed: string): Promise<string[]> {
  const named: string[] = [];
  const pending: Folder[] = [{ path: '', id: committed }];
  for (let read = 0; read < MAX_FOLDERS_READ && named.length < MAX_NAMED; read++) {
    const folder = pending.shift();
    if (folder === undefined) break;
    const theirs = await listFolder(reader, folder);
    const ours = snapshot.tree.entriesOf(folder.path) ?? [];
    for (const d of compareFolder(folder.path, ours, theirs)) {
      if (typeof d === 'string') named.push(d);
      else pending.push(d);
    }
  }
  return [...named, ...pending.map((f) => `${f.path}/ differs`)].slice(0, MAX_NAMED);
}

/** What differs between a folder's entries in the snapshot and in the commit: a named path, or a subfolder to read. */
export function compareFolder(
  path: string,
  ours: readonly GitTreeEntry[],
  theirs: readonly GitTreeEntry[],
): (string | Folder)[] {
  const at = (name: string) => (path === '' ? name : `${path}/${name}`);
  const mine = new Map(ours.map((e) => [e.name, e]));
  const found: (string | Folder)[] = [];
  for (const entry of theirs) {
    const own = mine.get(entry.name);
    mine.delete(entry.name);
    if (own?.mode === entry.mode && own.id === entry.id) continue;
    const name = at(entry.name);
    if (entry.mode === '160000') found.push(`${name} is a submodule, which archives leave empty`);
    else if (own === undefined) found.push(`${name} is missing from the archive`);
    else if (own.mode === '40000' && entry.mode === '40000') found.push({ path: name, id: entry.id });
    else if (own.mode !== entry.mode)
      found.push(`${name} is ${own.mode} in the archive but ${entry.mode} in the commit`);
    else found.push(`${name} differs`);
  }
  for (const name of mine.keys()) found.push(`${at(name)} is in the archive but not in the commit`);
  return found;
}
