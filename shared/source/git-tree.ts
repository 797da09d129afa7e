import { createHash } from 'node:crypto';

/** The object hash of a repository: SHA-1, or SHA-256 for repositories made with `--object-format=sha256`. */
export type ObjectFormat = 'sha1' | 'sha256';

/** A tree entry's mode as git writes it in a tree object (a folder is `40000`, a submodule `160000`). */
export type GitMode = '100644' | '100755' | '120000' | '40000' | '160000';

export const GIT_MODES: ReadonlySet<string> = new Set<GitMode>(['100644', '100755', '120000', '40000', '160000']);

/** One entry of a git tree: a name (never a path), its mode and its object id. */
export interface GitTreeEntry {
  readonly name: string;
  readonly mode: GitMode;
  readonly id: string;
}

/** A file of a snapshot as git would store it: its path from the root, its mode and its blob id. */
export interface GitFile {
  readonly path: string;
  readonly mode: Exclude<GitMode, '40000' | '160000'>;
  readonly id: string;
}

/** The format whose ids are as long as `id` (a commit's or a tree's). */
export function objectFormatOf(id: string): ObjectFormat {
  return id.length === 64 ? 'sha256' : 'sha1';
}

/** The id git gives an object of `type` with this body: the hash of `<type> <length>\0<body>`. */
export function gitObjectId(type: 'blob' | 'tree', body: Buffer, format: ObjectFormat): string {
  return createHash(format).update(`${type} ${body.length}\0`).update(body).digest('hex');
}

/** Git orders a tree's entries by their names' bytes, a folder's name read as if it ended with `/`. */
function sortKey(entry: GitTreeEntry): Buffer {
  return Buffer.from(entry.mode === '40000' ? `${entry.name}/` : entry.name, 'utf8');
}

/** The id of the tree object holding `entries` (in any order): `<mode> <name>\0<raw id>` each, in git's order. */
export function treeId(entries: readonly GitTreeEntry[], format: ObjectFormat): string {
  const sorted = [...entries].sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  const body = Buffer.concat(
    sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`, 'utf8'), Buffer.from(e.id, 'hex')]),
  );
  return gitObjectId('tree', body, format);
}

/**
 * The git trees a set of files makes, as `git write-tree` would write them from an index holding
 * exactly those files: every folder a tree of its entries, the root's id the snapshot's tree id.
 * Folders exist only through the files beneath them (git has no empty folders).
 */
export class GitTree {
  /** Each folder's entries, by its path from the root (`''` for the root, no trailing slash). */
  private readonly folders: ReadonlyMap<string, readonly GitTreeEntry[]>;
  /** The root tree's id. */
  readonly id: string;

  constructor(files: readonly GitFile[], format: ObjectFormat) {
    const children = new Map<string, Map<string, GitTreeEntry>>([['', new Map()]]);
    for (const file of files) {
      const segments = file.path.split('/');
      for (let depth = 1; depth < segments.length; depth++) {
        const folder = segments.slice(0, depth).join('/');
        if (!children.has(folder)) children.set(folder, new Map());
      }
      const name = segments.at(-1) ?? '';
      children.get(segments.slice(0, -1).join('/'))?.set(name, { name, mode: file.mode, id: file.id });
    }
    const folders = new Map<string, readonly GitTreeEntry[]>();
    // Deepest first, so each folder's subtrees have their ids before it does.
    const deepestFirst = [...children.keys()].sort((a, b) => depthOf(b) - depthOf(a));
    for (const folder of deepestFirst) {
      const entries = [...(children.get(folder)?.values() ?? [])];
      folders.set(folder, entries);
      if (folder === '') continue;
      const slash = folder.lastIndexOf('/');
      const name = folder.slice(slash + 1);
      const parent = slash < 0 ? '' : folder.slice(0, slash);
      children.get(parent)?.set(name, { name, mode: '40000', id: treeId(entries, format) });
    }
    this.folders = folders;
    this.id = treeId(folders.get('') ?? [], format);
  }

  /** The entries of the folder at `path` (`''` for the root), or undefined when the snapshot has no such folder. */
  entriesOf(path: string): readonly GitTreeEntry[] | undefined {
    return this.folders.get(path);
  }
}

function depthOf(folder: string): number {
  return folder === '' ? 0 : folder.split('/').length;
}
