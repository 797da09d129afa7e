import type { Provider } from '../../events';
import type { Delivery } from '../status/deliver';
import { tokenForms } from '../status/messages';
import { pathSegment, twoSegments } from '../status/providers/repository';
import { type ApiGet, getBytes, getJson } from './api';
import { type ArchiveTarget, CREDENTIALS } from './archives';
import { SourceError } from './errors';

/**
 * Attributes that make `git archive` write something other than the committed tree: files left
 * out, commit metadata written in, `$Id$` expanded, a filter's or an encoding's output served.
 */
const SHAPING = new Set(['export-ignore', 'export-subst', 'ident', 'filter', 'working-tree-encoding']);

/**
 * Git LFS: the commit holds pointer files, and `git archive` writes them as they are unless the
 * server runs an LFS smudge filter for archives. GitHub does so only when a repository's setting
 * says so, GitLab by default (since 13.6): there the tree comparison finds the objects and takes
 * the pointers from the commit's blobs. Bitbucket documents no such option, so its archives hold
 * the pointers (an assumption no Bitbucket API lets Gantry check).
 */
const LFS = 'lfs';

/** Listing the commit's files reads at most this many pages. */
const MAX_PAGES = 1000;
/** How deep Bitbucket Cloud is asked to list in one listing (a folder it lists nothing in is listed on its own). */
const CLOUD_DEPTH = 32;
const GITATTRIBUTES = /(?:^|\/)\.gitattributes$/;

/**
 * The attributes in a `.gitattributes` text that shape an archive (`eol=crlf` too), as written.
 * Every line's attributes count, macro definitions included: a macro that sets one sets it
 * wherever the macro is used. Unset (`-x`) and unspecified (`!x`) attributes shape nothing, and
 * neither does `filter=lfs` (archives hold the pointer files the commit holds).
 */
export function shapingAttributes(text: string): string[] {
  const found: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    for (const token of attributeTokens(line)) {
      if (token.startsWith('-') || token.startsWith('!')) continue;
      const [name = '', value] = token.split('=', 2);
      if (name === 'filter' && value === LFS) continue;
      if (SHAPING.has(name) || (name === 'eol' && value === 'crlf')) found.push(token);
    }
  }
  return [...new Set(found)];
}

/** The tokens after a line's pattern (a quoted pattern may hold spaces and escaped quotes). */
function attributeTokens(line: string): string[] {
  let rest = line;
  if (line.startsWith('"')) {
    const close = /^"(?:[^"\\]|\\.)*"/.exec(line)?.[0].length ?? line.length;
    rest = line.slice(close);
  } else rest = line.replace(/^\S+/, '');
  return rest.split(/\s+/).filter((t) => t !== '');
}

/** What the check reads from one Bitbucket: every `.gitattributes` path of the commit, and a file's committed bytes. */
interface AttributeApi {
  gitattributes(t: ArchiveTarget, delivery: Delivery): Promise<string[]>;
  raw(t: ArchiveTarget, path: string): ApiGet;
}

/**
 * Bitbucket Cloud and Data Center name no tree or blob ids, so the snapshot cannot be compared
 * with the commit's tree. What can be checked is whether the commit asks `git archive` to shape
 * it: every `.gitattributes` the commit holds (listed through the API, since `export-ignore` can
 * leave one out of the archive) is read as committed. One that sets an archive-shaping attribute
 * refuses the snapshot; with none, the archive is the committed tree.
 * @throws SourceError `unverifiable` naming the file and the attribute, or another code when the API fails (fail closed)
 */
export async function checkAttributes(target: ArchiveTarget, delivery: Delivery): Promise<void> {
  const api = ATTRIBUTE_APIS[target.provider];
  if (api === undefined) throw new SourceError('misconfigured', `no way to check ${target.provider} archives`);
  for (const path of await api.gitattributes(target, delivery)) {
    const what = `the commit’s ${path} could not be read`;
    const bytes = await getBytes(target.provider, what, secured(target, api.raw(target, path)), delivery);
    const shaping = shapingAttributes(bytes.toString('utf8'));
    if (shaping.length > 0)
      throw new SourceError(
        'unverifiable',
        `the commit’s ${path} sets ${shaping.join(', ')}, so the provider’s archive of ${target.commit.slice(0, 12)} may differ from the commit’s tree, and ${target.provider} names no tree to compare it with — Gantry builds only the commit’s exact tree`,
      );
  }
}

function secured(target: ArchiveTarget, get: ApiGet): ApiGet {
  return { ...get, secrets: [...get.secrets, ...tokenForms(target.token)] };
}

/** A path's segments, each percent-encoded. */
function encodedPath(path: string): string {
  return path.split('/').map(pathSegment).join('/');
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/** Bitbucket Data Center: `files?at=` lists every file path of the commit, paged; `raw/{path}?at=` serves one. */
const bitbucketDc: AttributeApi = {
  async gitattributes(t, delivery) {
    const base = dcBase(t);
    const found: string[] = [];
    let start = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const get = {
        url: `${base}/files?at=${t.commit}&start=${start}&limit=1000`,
        ...CREDENTIALS['bitbucket-dc'](t.token),
      };
      const body = await getJson('bitbucket-dc', 'the commit’s files could not be listed', secured(t, get), delivery);
      const values = field(body, 'values');
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string'))
        throw new SourceError('unavailable', 'the commit’s files could not be listed: the answer is not a file list');
      found.push(...(values as string[]).filter((p) => GITATTRIBUTES.test(p)));
      const next = field(body, 'nextPageStart');
      if (field(body, 'isLastPage') === true) return found;
      if (typeof next !== 'number' || next <= start) break;
      start = next;
    }
    throw new SourceError('unavailable', 'the commit’s files could not be listed to their end');
  },
  raw: (t, path) => ({
    url: `${dcBase(t)}/raw/${encodedPath(path)}?at=${t.commit}`,
    ...CREDENTIALS['bitbucket-dc'](t.token),
  }),
};

function dcBase(t: ArchiveTarget): string {
  const [project, slug] = twoSegments(t.repository, 'PROJECTKEY/slug on Bitbucket Data Center');
  return `${t.apiUrl}/rest/api/latest/projects/${pathSegment(project)}/repos/${pathSegment(slug)}`;
}

/**
 * Bitbucket Cloud: `src/{commit}/{folder}/?max_depth=` lists a folder recursively, paged with
 * `next` links (followed only within the connection's apiUrl); a folder the listing shows
 * nothing in is listed on its own, so no `.gitattributes` is missed however deep it lies.
 */
const bitbucketCloud: AttributeApi = {
  async gitattributes(t, delivery) {
    const found: string[] = [];
    const folders = [''];
    const pages = { read: 0 };
    for (let folder = folders.shift(); folder !== undefined; folder = folders.shift()) {
      const entries = await cloudListing(t, folder, delivery, pages);
      found.push(...entries.filter((e) => e.type === 'commit_file' && GITATTRIBUTES.test(e.path)).map((e) => e.path));
      folders.push(...unlisted(entries));
    }
    return found;
  },
  raw: (t, path) => ({
    url: `${cloudBase(t)}/src/${t.commit}/${encodedPath(path)}`,
    ...CREDENTIALS['bitbucket-cloud'](t.token),
  }),
};

/** Every entry of a folder's recursive listing, page after page (`next` links, within the connection's apiUrl). */
async function cloudListing(
  t: ArchiveTarget,
  folder: string,
  delivery: Delivery,
  pages: { read: number },
): Promise<{ type: string; path: string }[]> {
  const entries: { type: string; path: string }[] = [];
  const path = folder === '' ? '' : `${encodedPath(folder)}/`;
  let url: string | undefined = `${cloudBase(t)}/src/${t.commit}/${path}?max_depth=${CLOUD_DEPTH}&pagelen=100`;
  while (url !== undefined) {
    if (++pages.read > MAX_PAGES)
      throw new SourceError('unavailable', 'the commit’s files could not be listed to their end');
    const get = secured(t, { url, ...CREDENTIALS['bitbucket-cloud'](t.token) });
    const body = await getJson('bitbucket-cloud', 'the commit’s files could not be listed', get, delivery);
    entries.push(...cloudEntries(body));
    url = nextPage(t, field(body, 'next'));
  }
  return entries;
}

/**
 * The folders a listing names but shows nothing in. Git has no empty folders, so each one lies
 * past the depth the listing reached (whatever depth Bitbucket allows) and is listed on its own.
 */
function unlisted(entries: readonly { type: string; path: string }[]): string[] {
  const parents = new Set(entries.map((e) => e.path.slice(0, Math.max(0, e.path.lastIndexOf('/')))));
  return entries.filter((e) => e.type === 'commit_directory' && !parents.has(e.path)).map((e) => e.path);
}

function cloudBase(t: ArchiveTarget): string {
  const [workspace, slug] = twoSegments(t.repository, 'workspace/repo_slug on Bitbucket Cloud');
  return `${t.apiUrl}/repositories/${pathSegment(workspace)}/${pathSegment(slug)}`;
}

function cloudEntries(body: unknown): { type: string; path: string }[] {
  const values = field(body, 'values');
  const entries = Array.isArray(values) ? values : undefined;
  if (entries?.every((e) => typeof field(e, 'path') === 'string' && typeof field(e, 'type') === 'string') !== true)
    throw new SourceError('unavailable', 'the commit’s files could not be listed: the answer is not a listing');
  return entries as { type: string; path: string }[];
}

/** The next page's URL, only within the connection's API (the token goes nowhere else). */
function nextPage(t: ArchiveTarget, next: unknown): string | undefined {
  if (next === undefined || next === null) return undefined;
  if (typeof next !== 'string' || !next.startsWith(`${t.apiUrl}/`))
    throw new SourceError(
      'unavailable',
      'the commit’s files could not be listed: the next page lies outside the connection’s apiUrl',
    );
  return next;
}

const ATTRIBUTE_APIS: Readonly<Partial<Record<Provider, AttributeApi>>> = {
  'bitbucket-cloud': bitbucketCloud,
  'bitbucket-dc': bitbucketDc,
};
