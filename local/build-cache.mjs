// Builds cached beside the installed packages and reused while every source file they read is
// byte for byte what was built: the handler bundles local mode runs (./lambda/bundles.ts) and the
// gantry command's own (../cli/bundle.mjs). Plain JavaScript, so the command can use it before
// any TypeScript loader is registered.
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';

/** Names another folder for the caches (a benchmark's cold start empties its own). */
export const CACHE_DIR_ENV = 'GANTRY_CACHE_DIR';

const LOCK_FILES = [join('node_modules', '.package-lock.json'), 'package-lock.json'];
/**
 * Builds kept beside the current one, for processes still loading from them: up to a day after
 * they stopped being current, and the newest eight; and any a running process marks in use.
 */
const KEEP_BUILDS = 8;
const KEEP_MS = 24 * 60 * 60 * 1000;
/**
 * A process running from a build keeps a marker of its own in the build's folder, named for its
 * host and process id, and touches it this often (`keepInUse`). A build is kept whatever its age
 * or the count while a marker names a process alive on this host, or one was touched within
 * IN_USE_MS (a process on another host sharing the cache): such a process may still load a
 * lazily imported chunk of it, hours or days after it started, also after the machine slept
 * through its timer.
 */
const TOUCH_EVERY_MS = 10 * 60 * 1000;
const IN_USE_MS = 30 * 60 * 1000;
const IN_USE_MARKER = /^\.in-use\.(.+)\.(\d+)$/;
const HOST = hostname().replace(/[^\w.-]/g, '_');
const BUILD_ID = /^[0-9a-z]+-[0-9a-f]{8}$/;
const LOADERS = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.json': 'json',
};

/** Where the caches live unless told otherwise: beside the installed packages, as other tools keep theirs. */
export function cacheRoot(projectRoot) {
  const named = process.env[CACHE_DIR_ENV];
  return named ? resolve(named) : join(projectRoot, 'node_modules', '.cache', 'gantry');
}

/**
 * A build's key: its format, this Node.js's major (the syntax target), `parts`, and the contents
 * of the lock files (which stand for the installed packages) and of `files` (what shapes the
 * build without being one of its inputs: tsconfig.json, the build's own script).
 */
export function buildKey(format, projectRoot, parts, files = []) {
  const hash = createHash('sha256').update(`${format}\0${process.versions.node.split('.')[0]}\0`);
  for (const part of parts) hash.update(`${part}\0`);
  for (const name of [...LOCK_FILES, ...files]) {
    const path = resolve(projectRoot, name);
    hash
      .update(`${name}\0`)
      .update(existsSync(path) ? readFileSync(path) : '')
      .update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

/** A source of the build, rather than an installed package (whose versions the lock files key). */
export function isSource(projectRoot, path) {
  return !relative(projectRoot, path).split(/[\\/]/).includes('node_modules');
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function digest(path) {
  try {
    return sha256(readFileSync(path));
  } catch {
    return undefined;
  }
}

/**
 * A folder as the recorder saw it: where it really is (a link retargeted to a folder of the same
 * names changes what its imports mean) and its names; undefined when it is not a folder.
 */
function snapshot(dir) {
  try {
    return { real: realpathSync(dir), names: readdirSync(dir) };
  } catch {
    return undefined;
  }
}

/**
 * What of a folder can change where an import resolves in it: its real path and the names that
 * start with one of `stems` (`x` for `./x`: `x`, `x.ts`, `x.js`, …; `index` and `package.json`
 * for a folder imported as itself), as one digest. Compared without case, as a case-insensitive
 * file system resolves them. Another name appearing there (`.gantry`, `cdk.out`, an editor's
 * swap file) changes nothing that was built.
 */
function relevant(folder, stems) {
  const match = (name) => {
    const lower = name.toLowerCase();
    return stems.some((stem) => lower === stem || lower.startsWith(`${stem}.`));
  };
  return sha256(`${folder.real}\0${stems.join('\0')}\0${folder.names.filter(match).sort().join('\0')}`);
}

/** The stems an import of `target` is resolved by in its folder: its name, and its name without an extension (`./x.js` may mean `x.ts`). */
function stemsOf(target) {
  const name = basename(target).toLowerCase();
  const ext = extname(name);
  return ext === '' || ext === name ? [name] : [name, name.slice(0, -ext.length)];
}

/** The names that decide what importing a folder as itself means. */
const FOLDER_STEMS = ['index', 'package'];

/** The files esbuild reads in a source's folder or above it for how to compile it. */
const CONFIG_FILES = ['package.json', 'tsconfig.json', 'jsconfig.json'];
const CONFIG_STEMS = CONFIG_FILES.map((name) => name.slice(0, -'.json'.length));

/** `from` and the folders above it, up to and with the project's own; none outside it. */
function sourceFolders(projectRoot, from) {
  const root = resolve(projectRoot); // as given it may end in a slash
  const inside = relative(root, from);
  if (inside.startsWith('..') || resolve(root, inside) !== from) return [];
  const folders = [];
  for (let dir = from; ; dir = dirname(dir)) {
    folders.push(dir);
    if (dir === root || dirname(dir) === dir) return folders;
  }
}

/** A relative specifier without the query or hash esbuild drops when it resolves it (`./x?raw`). */
function bare(specifier) {
  return specifier.replace(/[?#].*$/s, '');
}

/** Recorded for a file that was not there: the build is current while it still is not. */
const ABSENT = 'absent';

/**
 * The files a tsconfig.json (or jsconfig.json) could extend by a relative path, read off its text
 * as the imports of a source are (every quoted string that starts `./` or `../`; comments and
 * trailing commas do not matter): each such path, and it with `.json` as esbuild also tries. A
 * package's config (`@tsconfig/node20`) is installed, and the lock file keys the cache.
 */
function extendedConfigs(config) {
  let text;
  try {
    text = readFileSync(config, 'utf8');
  } catch {
    return [];
  }
  const paths = [];
  for (const [, , specifier] of text.matchAll(RELATIVE_STRING)) {
    const target = resolve(dirname(config), specifier);
    paths.push(target);
    if (!target.toLowerCase().endsWith('.json')) paths.push(`${target}.json`);
  }
  return paths;
}

/** A quoted string that starts like a relative import (`./x`, `../x`, `.`), anywhere in a source. */
const RELATIVE_STRING = /(['"`])(\.\.?(?:\/[^'"`\r\n]*)?)\1/g;

/**
 * An esbuild plugin that loads each source file itself and records the digest of exactly the
 * bytes esbuild was given, so an edit saved while the build runs is never recorded as built.
 * `prefix(path)` is code put before a TypeScript or JavaScript source (on its first line).
 *
 * As it loads a source, before esbuild has parsed it, it also lists the folders where each of
 * its relative imports could resolve (`./x` is `x`, `x.ts`, … beside it, or `x/index.ts`, … in
 * it): a file added there later (an `x.ts` beside the `x/index.ts` that was built) changes which
 * file the import means without changing any file that was read. It reads the imports off the
 * text (every quoted string that starts `./` or `../`), rather than asking esbuild at each
 * resolution: that is a round trip from esbuild's process per import, thousands of them the
 * installed packages' own. What the text hides (an escape, a glob) `importFolders` catches.
 */
export function sourceRecorder(projectRoot, prefix = () => '') {
  const read = {};
  const folders = {};
  const list = (dir) => {
    if (dir in folders) {
      // Listed earlier for its config files: still before esbuild resolves this import in it.
      delete folders[dir].configOnly;
      return;
    }
    const seen = snapshot(dir);
    if (seen !== undefined) folders[dir] = seen;
  };
  // The folders from a source's up to the project's, where esbuild looks for the package.json and
  // tsconfig.json that shape how the source compiles (sideEffects, paths, class fields): listed,
  // and each such file's bytes recorded, as the first source in them loads, with the files a
  // tsconfig.json `extends` by a relative path (`extended`). esbuild may have read them a moment
  // before (resolving the import of that source): an edit in between is missed.
  const walked = new Set();
  const extended = (config) => {
    for (const path of extendedConfigs(config)) {
      if (path in read || !isSource(projectRoot, path)) continue;
      read[path] = digest(path) ?? ABSENT;
      if (read[path] !== ABSENT) extended(path);
    }
  };
  const configs = (from) => {
    for (const dir of sourceFolders(projectRoot, from)) {
      if (walked.has(dir)) return; // and so were the folders above it
      if (!(dir in folders)) {
        const seen = snapshot(dir);
        if (seen === undefined) return;
        // Only for its config files: listed as a later source loads, maybe after an import resolved in it.
        folders[dir] = { ...seen, configOnly: true };
      }
      walked.add(dir);
      for (const name of folders[dir].names) {
        if (!CONFIG_FILES.includes(name.toLowerCase())) continue;
        const sha = digest(join(dir, name));
        if (sha === undefined) continue;
        read[join(dir, name)] = sha;
        if (name.toLowerCase() !== 'package.json') extended(join(dir, name));
      }
    }
  };
  const plugin = {
    name: 'gantry-source-recorder',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
        const loader = LOADERS[extname(args.path)];
        if (loader === undefined || !isSource(projectRoot, args.path)) return undefined;
        const bytes = readFileSync(args.path);
        read[resolve(args.path)] = sha256(bytes);
        configs(dirname(resolve(args.path)));
        if (loader === 'json') return { contents: bytes, loader };
        const text = bytes.toString('utf8');
        for (const [, , specifier] of text.matchAll(RELATIVE_STRING)) {
          const target = resolve(dirname(args.path), bare(specifier));
          list(dirname(target));
          list(target);
        }
        // After a #! line, which must stay first.
        const at = text.startsWith('#!') ? text.indexOf('\n') + 1 || text.length : 0;
        return { contents: text.slice(0, at) + prefix(args.path) + text.slice(at), loader };
      });
    },
  };
  return { plugin, read, folders };
}

/** Recorded for a folder no listing was taken of before the build: it matches no listing, so the next run builds again. */
const UNLISTED = 'not listed before the build';

/**
 * The folders where the sources' relative imports, as esbuild's metafile records them, could
 * resolve, each with the names in it that could change that (`relevant`), as the recorder saw
 * them before the build. Only those: the recorder also lists folders that quoted strings name
 * without importing (`'..'`). A folder the recorder did not list (an import written with an
 * escape, a folder made during the build) is recorded as unlisted, and so is a glob import's
 * (`./data/${name}.json`, which any file added below it can change): the next run builds again
 * rather than trusting a listing taken after the build.
 */
function importFolders(projectRoot, metafile, folders) {
  const stems = {};
  const unlisted = {};
  const want = (dir, names, forConfig = false) => {
    if (!(dir in folders) || (folders[dir].configOnly && !forConfig)) {
      if (snapshot(dir) !== undefined) unlisted[dir] = UNLISTED;
      return;
    }
    stems[dir] ??= new Set();
    for (const name of names) stems[dir].add(name);
  };
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    const importer = resolve(projectRoot, input);
    if (!isSource(projectRoot, importer)) continue;
    for (const { path, original } of imports) {
      if (original === undefined) {
        if (path.includes('*')) unlisted[`${resolve(dirname(importer), path.split('*')[0])}*`] = UNLISTED;
        continue;
      }
      if (!/^\.\.?(\/|$)/.test(original)) continue;
      const target = resolve(dirname(importer), bare(original));
      // Named exactly (`../package.json`): the file itself, which no file added beside it can displace.
      if (resolve(projectRoot, path) === target && bare(original) === original) continue;
      // esbuild tries the whole specifier first: `./w?x` means a file `w?x.ts` where there is one.
      const whole = resolve(dirname(importer), original);
      want(dirname(target), original === bare(original) ? stemsOf(target) : [...stemsOf(target), ...stemsOf(whole)]);
      want(target, FOLDER_STEMS);
    }
    for (const dir of sourceFolders(projectRoot, dirname(importer))) want(dir, CONFIG_STEMS, true);
  }
  const all = {};
  for (const [dir, names] of Object.entries(stems)) {
    const sorted = [...names].sort();
    all[dir] = { stems: sorted, names: relevant(folders[dir], sorted) };
  }
  return { ...all, ...unlisted };
}

/** Whether a folder still holds what `importFolders` recorded of it. */
function unchanged(dir, recorded) {
  if (typeof recorded !== 'object' || recorded === null || !Array.isArray(recorded.stems)) return false;
  const now = snapshot(dir);
  return now !== undefined && relevant(now, recorded.stems) === recorded.names;
}

/**
 * The folder holds builds only this user can have written: owned by this user and writable by
 * no one else, nor a link; and so is the folder holding it (a sticky one, like /tmp, lets no one
 * else move it), or someone else could swap in a folder of their own between our check and our
 * import. A cache others may write (a shared GANTRY_CACHE_DIR) would let them choose the code
 * every later command runs. Windows has no owner to compare here: its folder permissions rule.
 */
function isPrivate(dir) {
  if (typeof process.getuid !== 'function') return true;
  const mine = (stat) => stat.isDirectory() && stat.uid === process.getuid();
  try {
    const folder = lstatSync(dir);
    const parent = statSync(dirname(dir));
    const sticky = (parent.mode & 0o1000) !== 0;
    return mine(folder) && (folder.mode & 0o022) === 0 && (sticky || (mine(parent) && (parent.mode & 0o022) === 0));
  } catch {
    return false;
  }
}

function readManifest(dir, format) {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    return parsed.format === format && BUILD_ID.test(parsed.build) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The build in `dir` ({dir, outputs} of its folder), when it is one of `format`, every file it
 * wrote is there, every source it read is unchanged, and every folder its relative imports could
 * resolve in holds the same names.
 */
export function currentBuild(dir, format) {
  if (!isPrivate(dir)) return undefined;
  const manifest = readManifest(dir, format);
  if (manifest === undefined) return undefined;
  const built = join(dir, manifest.build);
  const inputs = Object.entries(manifest.inputs);
  if (inputs.length === 0 || !manifest.files.every((file) => existsSync(join(built, file)))) return undefined;
  if (!inputs.every(([path, sha]) => (digest(path) ?? ABSENT) === sha)) return undefined;
  const folders = Object.entries(manifest.folders ?? {});
  return folders.every(([dir, recorded]) => unchanged(dir, recorded))
    ? { dir: built, outputs: manifest.outputs }
    : undefined;
}

/**
 * The current build in `dir`, or a new one: `build(outdir)` writes it into a fresh folder and
 * resolves with esbuild's metafile, the outputs to record, and what `sourceRecorder` read. Every
 * input that is a source is recorded by its digest, and every folder its relative imports could
 * resolve in by the listing the recorder took. The new build's manifest then replaces the
 * old one; older builds stay a while for processes still loading their lazily imported chunks.
 */
export async function cachedBuild(dir, format, projectRoot, build) {
  const existing = currentBuild(dir, format);
  if (existing !== undefined) return existing;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!isPrivate(dir)) throw new Error(`${dir} is not a folder only this user can write`);
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const built = join(dir, id);
  let manifest;
  try {
    const { metafile, outputs, read = {}, folders = {} } = await build(built);
    const inputs = {};
    for (const input of Object.keys(metafile.inputs)) {
      const path = resolve(projectRoot, input);
      if (!isSource(projectRoot, path)) continue;
      const sha = read[path] ?? digest(path);
      if (sha !== undefined) inputs[path] = sha;
    }
    if (Object.keys(inputs).length === 0) throw new Error('the build read no source file');
    // What shaped the build without being one of its modules: the sources' package.json and tsconfig.json.
    for (const [path, sha] of Object.entries(read))
      if (!(path in inputs) && isSource(projectRoot, path)) inputs[path] = sha;
    const files = Object.keys(metafile.outputs).map((out) => relative(built, resolve(projectRoot, out)));
    manifest = {
      format,
      build: id,
      inputs,
      folders: importFolders(projectRoot, metafile, folders),
      outputs,
      files,
    };
  } catch (error) {
    rmSync(built, { recursive: true, force: true });
    throw error;
  }
  const partial = join(dir, `manifest.${id}.tmp`);
  writeFileSync(partial, JSON.stringify(manifest));
  const replaced = readManifest(dir, format)?.build;
  renameSync(partial, join(dir, 'manifest.json'));
  // The build it replaces was in use until now: its day of grace starts here.
  if (replaced !== undefined && replaced !== id) touch(join(dir, replaced));
  try {
    prune(dir, id);
  } catch {
    // Another process pruning at the same time: what is left goes next time.
  }
  return { dir: built, outputs: manifest.outputs };
}

/**
 * Marks the build in `dir` as in use by this process, now and every few minutes while it runs
 * (without keeping it running), so that no other process prunes it. Returns what stops the
 * marking, which also takes the marker away.
 */
export function keepInUse(dir) {
  const marker = join(dir, `.in-use.${HOST}.${process.pid}`);
  dropDeadMarkers(dir, Date.now());
  const mark = () => {
    try {
      writeFileSync(marker, '', { mode: 0o600 });
    } catch {
      // Pruned already (it was not marked in time), or a read-only cache: nothing to keep.
    }
  };
  mark();
  const timer = setInterval(mark, TOUCH_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    try {
      rmSync(marker, { force: true });
    } catch {
      // A read-only cache: the marker ages out in half an hour.
    }
  };
}

/**
 * Takes away the markers that processes of this host left as they crashed, once they would no
 * longer keep the build: the current build is never pruned, so nothing else would.
 */
function dropDeadMarkers(dir, now) {
  for (const marker of markers(dir, now)) {
    if (!marker.ours || marker.alive() || marker.recent()) continue;
    try {
      rmSync(marker.path, { force: true });
    } catch {
      // A read-only cache.
    }
  }
}

/** Whether process `pid` runs on this host (EPERM: it does, as another user). */
function alive(host, pid) {
  if (host !== HOST) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Whether a process still runs from the build in `dir`, or marked it within IN_USE_MS. */
function inUse(dir, now) {
  return markers(dir, now).some((marker) => marker.alive() || marker.recent());
}

/**
 * The in-use markers in the build `dir` (none when it cannot be read): whether this host's process
 * left it, whether that process still runs, and whether it was marked within IN_USE_MS (a marker
 * taken away meanwhile was not).
 */
function markers(dir, now) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const marker = IN_USE_MARKER.exec(name);
    if (marker === null) return [];
    const path = join(dir, name);
    const recent = () => {
      try {
        return now - statSync(path).mtimeMs <= IN_USE_MS;
      } catch {
        return false;
      }
    };
    return [{ path, ours: marker[1] === HOST, alive: () => alive(marker[1], Number(marker[2])), recent }];
  });
}

function touch(path) {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // Already pruned by another process.
  }
}

/** Drops builds past the newest KEEP_BUILDS or older than a day that no process has marked in use lately, and manifests a dead process left half-written. */
function prune(dir, current) {
  const now = Date.now();
  const aged = (name) => ({ path: join(dir, name), age: now - lstatSync(join(dir, name)).mtimeMs });
  const names = readdirSync(dir);
  const builds = names
    .filter((name) => name !== current && BUILD_ID.test(name))
    .map(aged)
    .sort((a, b) => a.age - b.age);
  const stale = builds.filter((build, i) => (i >= KEEP_BUILDS || build.age > KEEP_MS) && !inUse(build.path, now));
  const halfWritten = names
    .filter((name) => name.endsWith('.tmp'))
    .map(aged)
    .filter((tmp) => tmp.age > 60_000);
  for (const { path } of [...stale, ...halfWritten]) rmSync(path, { recursive: true, force: true });
}
