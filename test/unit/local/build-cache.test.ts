import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import {
  buildKey,
  cachedBuild,
  cacheRoot,
  currentBuild,
  isSource,
  keepInUse,
  sourceRecorder,
} from '../../../local/build-cache.mjs';
import { tempFolders } from '../../support/temp';

/**
 * The cache behind local mode's handler bundles and the gantry command's: what it hands back must
 * be built from the sources as they are now, whatever happened while it built.
 */
describe('cachedBuild', () => {
  const temp = tempFolders();

  /** The build of `root/main.ts` as the caches run it; `during` runs after esbuild has read the sources, before the build resolves. */
  function builder(root: string, during: () => void = () => {}, before: Plugin[] = []) {
    return async (outdir: string) => {
      const sources = sourceRecorder(root);
      const { metafile } = await build({
        entryPoints: [join(root, 'main.ts')],
        absWorkingDir: root,
        outdir,
        bundle: true,
        format: 'esm',
        platform: 'node',
        plugins: [...before, sources.plugin],
        metafile: true,
        logLevel: 'silent',
      });
      during();
      return {
        metafile,
        outputs: { main: 'main.js' },
        read: sources.read,
        folders: sources.folders,
      };
    };
  }

  /** A project of two modules, and its build. */
  function project(during: () => void = () => {}) {
    const root = temp('gantry-build-src-');
    writeFileSync(join(root, 'word.ts'), "export const word: string = 'first';\n");
    writeFileSync(join(root, 'main.ts'), "import { word } from './word';\nexport default word;\n");
    return { root, run: builder(root, during) };
  }
  const text = (built: { dir: string; outputs: Record<string, string> }) =>
    readFileSync(join(built.dir, built.outputs.main as string), 'utf8');

  it('records what it built, not what is on disk after: an edit saved during the build is built next time', async () => {
    const cache = join(temp('gantry-build-cache-'), 'main');
    let edits = 0;
    const { root, run } = project(() => {
      if (edits++ === 0) writeFileSync(join(root, 'word.ts'), "export const word: string = 'second';\n");
    });
    const first = await cachedBuild(cache, 'test-v1', root, run);
    expect(text(first)).toContain('"first"');
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    const next = await cachedBuild(cache, 'test-v1', root, run);
    expect(text(next)).toContain('"second"');
    expect(currentBuild(cache, 'test-v1')).toEqual(next);
  });

  it('keeps the build it replaces, for a process still loading from it', async () => {
    const cache = join(temp('gantry-build-cache-'), 'main');
    const { root, run } = project();
    const first = await cachedBuild(cache, 'test-v1', root, run);
    writeFileSync(join(root, 'word.ts'), "export const word: string = 'second';\n");
    const next = await cachedBuild(cache, 'test-v1', root, run);
    expect(next.dir).not.toBe(first.dir);
    expect(text(first)).toContain('"first"');
    expect(readdirSync(cache).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('drops builds a day old, and keeps the newest eight', async () => {
    const cache = join(temp('gantry-build-cache-'), 'main');
    const { root, run } = project();
    const fake = (i: number, age = 0) => {
      const name = `${(1000 + i).toString(36)}-${String(i).padStart(8, '0')}`;
      mkdirSync(join(cache, name));
      const at = new Date(Date.now() - age);
      utimesSync(join(cache, name), at, at);
      return name;
    };
    const others = () => readdirSync(cache).filter((n) => n !== 'manifest.json');
    const first = await cachedBuild(cache, 'test-v1', root, run);
    const old = [fake(0, 25 * 60 * 60 * 1000), fake(1, 25 * 60 * 60 * 1000)];
    const fresh = [2, 3, 4, 5, 6].map((i) => fake(i, 60_000));
    writeFileSync(join(root, 'word.ts'), "export const word: string = 'second';\n");
    const second = await cachedBuild(cache, 'test-v1', root, run);
    const name = (dir: string) => dir.split('/').pop() as string;
    // Two a day old go; the first build and five an hour old stay: seven beside the current one.
    expect(others().sort()).toEqual([...fresh, name(first.dir), name(second.dir)].sort());
    expect(others()).not.toEqual(expect.arrayContaining(old));

    const newer = [7, 8, 9].map((i) => fake(i, 1_000));
    writeFileSync(join(root, 'word.ts'), "export const word: string = 'third';\n");
    const third = await cachedBuild(cache, 'test-v1', root, run);
    // Ten beside the current one: the oldest two (the fakes an hour old) go.
    expect(others()).toHaveLength(9);
    expect(others()).toEqual(expect.arrayContaining([name(third.dir), name(second.dir), name(first.dir), ...newer]));
  });

  describe('a build a running process loads from', () => {
    const BUILD = /^[0-9a-z]+-[0-9a-f]{8}$/;
    const marker = (dir: string) => readdirSync(dir).find((n) => n.startsWith('.in-use.')) as string;
    const hoursAgo = (n: number) => new Date(Date.now() - n * 60 * 60 * 1000);
    /** A build two days past its replacement that a process marks, and `then` ten builds after it. */
    async function marked(then: (running: { dir: string }, release: () => void) => void) {
      const cache = join(temp('gantry-build-cache-'), 'main');
      const { root, run } = project();
      const running = await cachedBuild(cache, 'test-v1', root, run);
      writeFileSync(join(root, 'word.ts'), "export const word: string = 'replaced';\n");
      await cachedBuild(cache, 'test-v1', root, run);
      const release = keepInUse(running.dir);
      // Marking touched the folder: it is two days past its replacement from here.
      utimesSync(running.dir, hoursAgo(48), hoursAgo(48));
      try {
        then(running, release);
        for (let i = 0; i < 10; i++) {
          writeFileSync(join(root, 'word.ts'), `export const word: string = 'edit ${i}';\n`);
          await cachedBuild(cache, 'test-v1', root, run);
        }
      } finally {
        release();
      }
      return { cache, running, kept: existsSync(join(running.dir, 'main.js')) };
    }

    it('is kept while its process runs, however many builds come after it, and however old', async () => {
      const { cache, kept } = await marked(() => undefined);
      expect(kept).toBe(true);
      // Builds no one marks still go past the eighth: the in-use rule does not stop the count.
      expect(readdirSync(cache).filter((n) => BUILD.test(n))).toHaveLength(10);
    });

    it('is kept while its process runs though its mark is hours old: the machine slept through the timer', async () => {
      const { kept } = await marked((running) => {
        const name = marker(running.dir);
        expect(name).toMatch(new RegExp(`\\.${process.pid}$`));
        utimesSync(join(running.dir, name), hoursAgo(5), hoursAgo(5));
      });
      expect(kept).toBe(true);
    });

    it('is kept for half an hour after the last mark of a process that ended without taking it away, then goes', async () => {
      // A process (on this host) that no longer runs: its marker stays, as a crash leaves it.
      const dead = (dir: string) => {
        const name = marker(dir);
        const gone = join(dir, name.replace(/\.\d+$/, '.999999999'));
        writeFileSync(gone, '');
        return gone;
      };
      const recent = await marked((running, release) => {
        dead(running.dir);
        release();
      });
      expect(recent.kept).toBe(true);
      const { kept } = await marked((running, release) => {
        utimesSync(dead(running.dir), hoursAgo(1), hoursAgo(1));
        release();
      });
      expect(kept).toBe(false);
    });

    it('takes away, as a process marks it, the markers crashed processes of this host left past half an hour', async () => {
      await marked((running) => {
        const own = marker(running.dir);
        const host = own.replace(/^\.in-use\./, '').replace(/\.\d+$/, '');
        const left = (pid: number, hours: number) => {
          const path = join(running.dir, `.in-use.${host}.${pid}`);
          writeFileSync(path, '');
          utimesSync(path, hoursAgo(hours), hoursAgo(hours));
          return path;
        };
        const crashedLongAgo = left(999_999_991, 2);
        const crashedJustNow = left(999_999_992, 0);
        const elsewhere = join(running.dir, '.in-use.another-host.999999993');
        writeFileSync(elsewhere, '');
        utimesSync(elsewhere, hoursAgo(2), hoursAgo(2));
        const alsoRunning = left(process.ppid, 2);

        const release = keepInUse(running.dir);
        release();
        expect(existsSync(crashedLongAgo)).toBe(false);
        // What still keeps the build stays: a recent mark, another host's, a process alive.
        expect([crashedJustNow, elsewhere, alsoRunning].filter((p) => existsSync(p))).toEqual([
          crashedJustNow,
          elsewhere,
          alsoRunning,
        ]);
      });
    });

    it('takes its marker away when its process stops using it', async () => {
      const { kept } = await marked((running, release) => {
        release();
        expect(readdirSync(running.dir).filter((n) => n.startsWith('.in-use'))).toEqual([]);
      });
      expect(kept).toBe(false);
    });
  });

  it('keeps a build that was current for days for a day after it is replaced', async () => {
    const cache = join(temp('gantry-build-cache-'), 'main');
    const { root, run } = project();
    const first = await cachedBuild(cache, 'test-v1', root, run);
    const long = new Date(Date.now() - 3 * 24 * 60 * 60 * 1000);
    utimesSync(first.dir, long, long);
    writeFileSync(join(root, 'word.ts'), "export const word: string = 'second';\n");
    await cachedBuild(cache, 'test-v1', root, run);
    expect(existsSync(join(first.dir, 'main.js'))).toBe(true);
  });

  it('uses no build in a folder, or a folder inside one, that others may write; a sticky one like /tmp will do', async () => {
    const root = temp('gantry-build-cache-');
    const cache = join(root, 'main');
    const { root: sources, run } = project();
    await cachedBuild(cache, 'test-v1', sources, run);
    expect(currentBuild(cache, 'test-v1')).toBeDefined();
    chmodSync(root, 0o777);
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    await expect(cachedBuild(cache, 'test-v1', sources, run)).rejects.toThrow(/not a folder only this user can write/);
    chmodSync(root, 0o1777);
    expect(currentBuild(cache, 'test-v1')).toBeDefined();
    chmodSync(cache, 0o770);
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
  });

  it('rebuilds when a new file changes what an import resolves to, and not for a file no import could mean', async () => {
    const root = temp('gantry-build-src-');
    mkdirSync(join(root, 'lib', 'word'), { recursive: true });
    mkdirSync(join(root, 'other'));
    writeFileSync(join(root, 'lib', 'word', 'index.ts'), "export const word: string = 'folder';\n");
    writeFileSync(join(root, 'main.ts'), "import { word } from './lib/word';\nexport default word;\n");
    const run = builder(root);
    const cache = join(temp('gantry-build-cache-'), 'main');
    expect(text(await cachedBuild(cache, 'test-v1', root, run))).toContain('"folder"');
    // A folder no relative import of the build resolves in: the build stays current.
    writeFileSync(join(root, 'other', 'note.ts'), 'export {};\n');
    expect(currentBuild(cache, 'test-v1')).toBeDefined();
    // lib/word.ts now wins over lib/word/index.ts, though no file the build read has changed.
    writeFileSync(join(root, 'lib', 'word.ts'), "export const word: string = 'file';\n");
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    expect(text(await cachedBuild(cache, 'test-v1', root, run))).toContain('"file"');
  });

  it('stays current when a name no import could mean appears where imports resolve: a data folder, a synth output', async () => {
    const root = temp('gantry-build-src-');
    mkdirSync(join(root, 'lib', 'word'), { recursive: true });
    writeFileSync(join(root, 'lib', 'word', 'index.ts'), "export const word: string = 'folder';\n");
    writeFileSync(join(root, 'main.ts'), "import { word } from './lib/word';\nexport default word;\n");
    const run = builder(root);
    const cache = join(temp('gantry-build-cache-'), 'main');
    await cachedBuild(cache, 'test-v1', root, run);
    // What a first `npm start` and `cdk synth` leave in the project, and an editor's notes.
    mkdirSync(join(root, '.gantry'));
    mkdirSync(join(root, 'cdk.out'));
    writeFileSync(join(root, 'lib', 'words.md'), 'notes');
    writeFileSync(join(root, 'lib', 'word', 'README.md'), 'notes');
    expect(currentBuild(cache, 'test-v1')).toBeDefined();
    // A package.json in the folder imported as itself can name another entry: it counts.
    writeFileSync(join(root, 'lib', 'word', 'package.json'), '{"main":"other.js"}');
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    await cachedBuild(cache, 'test-v1', root, run);
    // As does a name differing only in case, which a case-insensitive file system resolves to.
    writeFileSync(join(root, 'lib', 'Word.ts'), "export const word: string = 'file';\n");
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
  });

  it('rebuilds when a package.json or tsconfig.json appears in, or changes in, a folder of its sources or above it', async () => {
    const root = temp('gantry-build-src-');
    mkdirSync(join(root, 'lib'));
    writeFileSync(join(root, 'lib', 'word.ts'), "export const word: string = 'first';\n");
    writeFileSync(join(root, 'main.ts'), "import { word } from './lib/word';\nexport default word;\n");
    const run = builder(root);
    const cache = join(temp('gantry-build-cache-'), 'main');
    for (const [path, text] of [
      ['lib/tsconfig.json', '{"compilerOptions":{"useDefineForClassFields":false}}'],
      ['lib/tsconfig.json', '{"compilerOptions":{"useDefineForClassFields":true}}'],
      ['lib/package.json', '{"sideEffects":false}'],
      ['package.json', '{"type":"module"}'],
      ['jsconfig.json', '{}'],
    ] as const) {
      await cachedBuild(cache, 'test-v1', root, run);
      expect(currentBuild(cache, 'test-v1')).toBeDefined();
      writeFileSync(join(root, path), text);
      expect({ path, text, current: currentBuild(cache, 'test-v1') }).toEqual({ path, text, current: undefined });
    }
  });

  it('rebuilds when a config a tsconfig.json extends changes, appears or goes, along the whole chain', async () => {
    const root = temp('gantry-build-src-');
    mkdirSync(join(root, 'config'));
    writeFileSync(join(root, 'word.ts'), 'export class Word { text = "first"; }\n');
    writeFileSync(join(root, 'main.ts'), "import { Word } from './word';\nexport default new Word().text;\n");
    writeFileSync(
      join(root, 'tsconfig.json'),
      '{\n  // comments and trailing commas, as tsc allows\n  "extends": "./config/base",\n}\n',
    );
    writeFileSync(join(root, 'config', 'base.json'), '{ "extends": "../shared.json" }');
    writeFileSync(join(root, 'shared.json'), '{"compilerOptions":{"useDefineForClassFields":true}}');
    const run = builder(root);
    const cache = join(temp('gantry-build-cache-'), 'main');
    const changes: [string, string | undefined][] = [
      // The end of the chain, two files away: it shapes how the class field compiles.
      ['shared.json', '{"compilerOptions":{"useDefineForClassFields":false}}'],
      ['config/base.json', '{ "extends": "../shared.json", "compilerOptions": {} }'],
      // `./config/base` resolves to base.json now; a file named `base` would take its place.
      ['config/base', '{}'],
      ['config/base', undefined],
    ];
    for (const [path, text] of changes) {
      await cachedBuild(cache, 'test-v1', root, run);
      expect(currentBuild(cache, 'test-v1')).toBeDefined();
      if (text === undefined) unlinkSync(join(root, path));
      else writeFileSync(join(root, path), text);
      expect({ path, text, current: currentBuild(cache, 'test-v1') }).toEqual({ path, text, current: undefined });
    }
    // The build follows the chain's end: with class fields not defined, the field is assigned in the constructor.
    const built = await cachedBuild(cache, 'test-v1', root, run);
    expect(text(built)).toMatch(/this\.text = "first"/);
    expect(currentBuild(cache, 'test-v1')).toBeDefined();
  });

  it('rebuilds when a file appears that an import with a query names whole, or one an import of a .js file means', async () => {
    const root = temp('gantry-build-src-');
    writeFileSync(join(root, 'w.ts'), "export const w: string = 'plain';\n");
    writeFileSync(join(root, 'x.tsx'), "export const x: string = 'tsx';\n");
    writeFileSync(
      join(root, 'main.ts'),
      "import { w } from './w?x';\nimport { x } from './x.js';\nimport { y } from './y?q.js';\nexport default w + x + y;\n",
    );
    writeFileSync(join(root, 'y.ts'), "export const y: string = 'y';\n");
    const run = builder(root);
    const cache = join(temp('gantry-build-cache-'), 'main');
    expect(text(await cachedBuild(cache, 'test-v1', root, run))).toContain('"tsx"');
    // esbuild tries the specifier whole first: `./w?x` is a file `w?x.ts` once there is one.
    writeFileSync(join(root, 'w?x.ts'), "export const w: string = 'whole';\n");
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    expect(text(await cachedBuild(cache, 'test-v1', root, run))).toContain('"whole"');
    // `./y?q.js` is a file `y?q.ts` once there is one (esbuild swaps .js for .ts in the whole name too).
    writeFileSync(join(root, 'y?q.ts'), "export const y: string = 'whole y';\n");
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    expect(text(await cachedBuild(cache, 'test-v1', root, run))).toContain('"whole y"');
    // `./x.js` with no x.js is x.ts before x.tsx.
    writeFileSync(join(root, 'x.ts'), "export const x: string = 'ts';\n");
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    expect(text(await cachedBuild(cache, 'test-v1', root, run))).toContain('"ts"');
  });

  it('builds again next time when a file is added, during the build, where one of its imports could resolve', async () => {
    const root = temp('gantry-build-src-');
    mkdirSync(join(root, 'lib', 'word'), { recursive: true });
    writeFileSync(join(root, 'lib', 'word', 'index.ts'), "export const word: string = 'folder';\n");
    writeFileSync(join(root, 'main.ts'), "import { word } from './lib/word';\nexport default word;\n");
    let added = false;
    const run = builder(root, () => {
      if (added) return;
      added = true;
      writeFileSync(join(root, 'lib', 'word.ts'), "export const word: string = 'file';\n");
    });
    const cache = join(temp('gantry-build-cache-'), 'main');
    // esbuild resolved the import before the file came: this build holds the folder's module...
    expect(text(await cachedBuild(cache, 'test-v1', root, run))).toContain('"folder"');
    // ...and is not reused, though every file it read is unchanged: lib/ was listed before the file came.
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    const rebuilt = await cachedBuild(cache, 'test-v1', root, run);
    expect(text(rebuilt)).toContain('"file"');
    expect(currentBuild(cache, 'test-v1')).toEqual(rebuilt);
  });

  it('does not trust a folder it did not list before the build: an import written with an escape is built again next time', async () => {
    const root = temp('gantry-build-src-');
    mkdirSync(join(root, 'lib', 'word'), { recursive: true });
    writeFileSync(join(root, 'lib', 'word', 'index.ts'), "export const word: string = 'folder';\n");
    // esbuild reads './lib/w\x6frd' as './lib/word'; the recorder, reading the text, cannot.
    writeFileSync(join(root, 'main.ts'), "import { word } from './lib/w\\x6frd';\nexport default word;\n");
    const cache = join(temp('gantry-build-cache-'), 'main');
    expect(text(await cachedBuild(cache, 'test-v1', root, builder(root)))).toContain('"folder"');
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
  });

  describe('imports whose folders the text does not show as they are', () => {
    const source = (root: string, main: string, files: Record<string, string> = {}) => {
      for (const [path, text] of Object.entries({ ...files, 'main.ts': main })) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
    };
    const word = (value: string) => `export const word: string = '${value}';\n`;
    /** A project of `main.ts` and `files`, and a cache folder for it. */
    const sourced = (main: string, files: Record<string, string> = {}) => {
      const root = temp('gantry-build-src-');
      source(root, main, files);
      return { root, cache: join(temp('gantry-build-cache-'), 'main') };
    };

    it('a folder made during the build, after the source naming it was read: built again next time', async () => {
      const { root, cache } = sourced("import { word } from './lib/word';\nexport default word;\n");
      // Made as esbuild resolves the import, after the recorder looked for lib/ and found nothing.
      const makeLib: Plugin = {
        name: 'make-lib',
        setup(b) {
          b.onResolve({ filter: /lib\/word$/ }, () => {
            if (!existsSync(join(root, 'lib')))
              source(root, readFileSync(join(root, 'main.ts'), 'utf8'), { 'lib/word/index.ts': word('folder') });
            return undefined;
          });
        },
      };
      const built = await cachedBuild(
        cache,
        'test-v1',
        root,
        builder(root, () => {}, [makeLib]),
      );
      expect(text(built)).toContain('"folder"');
      expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    });

    it('an import with a query: its folder is the one without it', async () => {
      const { root, cache } = sourced("import { word } from './lib/word?raw';\nexport default word;\n", {
        'lib/word/index.ts': word('ts'),
      });
      expect(text(await cachedBuild(cache, 'test-v1', root, builder(root)))).toContain('"ts"');
      expect(currentBuild(cache, 'test-v1')).toBeDefined();
      writeFileSync(join(root, 'lib', 'word', 'index.tsx'), word('tsx')); // esbuild prefers .tsx
      expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    });

    it('a link retargeted to a folder of the same names', async () => {
      const { root, cache } = sourced("import { word } from './cur/word';\nexport default word;\n", {
        'v1/word.ts': word('one'),
        'v2/word.ts': word('two'),
      });
      symlinkSync(join(root, 'v1'), join(root, 'cur'));
      expect(text(await cachedBuild(cache, 'test-v1', root, builder(root)))).toContain('"one"');
      expect(currentBuild(cache, 'test-v1')).toBeDefined();
      unlinkSync(join(root, 'cur'));
      symlinkSync(join(root, 'v2'), join(root, 'cur'));
      expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    });

    it('a glob import, which a file added anywhere below its folder can change: built again every time', async () => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a glob import, not a template
      const { root, cache } = sourced('export const load = (k: string) => import(`./data/${k}.json`);\n', {
        'data/one.json': '{}',
      });
      await cachedBuild(cache, 'test-v1', root, builder(root));
      expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    });

    it('an import that names its file exactly: a file added beside it changes nothing', async () => {
      const { root, cache } = sourced("import data from './data.json';\nexport default data;\n", {
        'data.json': '{"n":1}',
      });
      await cachedBuild(cache, 'test-v1', root, builder(root));
      writeFileSync(join(root, 'notes.txt'), 'beside it');
      expect(currentBuild(cache, 'test-v1')).toBeDefined();
      writeFileSync(join(root, 'data.json'), '{"n":2}');
      expect(currentBuild(cache, 'test-v1')).toBeUndefined();
    });

    it('records no folder above the project, also when its root is given with a trailing slash', async () => {
      const { root, cache } = sourced("import { word } from './word';\nexport default word;\n", {
        'word.ts': word('first'),
      });
      await cachedBuild(cache, 'test-v1', `${root}/`, builder(root));
      const manifest = JSON.parse(readFileSync(join(cache, 'manifest.json'), 'utf8')) as { folders: object };
      expect(Object.keys(manifest.folders)).toEqual([root]);
    });

    it('lists no folder a string names without importing it', async () => {
      const { root, cache } = sourced(
        "import { word } from './word';\nexport const up: string = '..';\nexport default word;\n",
        {
          'word.ts': word('first'),
        },
      );
      await cachedBuild(cache, 'test-v1', root, builder(root));
      const manifest = JSON.parse(readFileSync(join(cache, 'manifest.json'), 'utf8')) as { folders: object };
      expect(Object.keys(manifest.folders)).toEqual([root]);
    });
  });

  it('keys a build by the files that shape it without being its inputs', () => {
    const root = temp('gantry-build-key-');
    writeFileSync(join(root, 'tsconfig.json'), '{}');
    const before = buildKey('test-v1', root, ['main.ts'], ['tsconfig.json']);
    expect(buildKey('test-v1', root, ['main.ts'], ['tsconfig.json'])).toBe(before);
    writeFileSync(join(root, 'tsconfig.json'), '{"compilerOptions":{"useDefineForClassFields":false}}');
    expect(buildKey('test-v1', root, ['main.ts'], ['tsconfig.json'])).not.toBe(before);
  });

  it('puts code before a source after its #! line', async () => {
    const root = temp('gantry-build-src-');
    writeFileSync(join(root, 'tool.ts'), '#!/usr/bin/env node\nexport const where: string = here;\n');
    const sources = sourceRecorder(root, () => "const here = 'prefixed';");
    const { outputFiles } = await build({
      entryPoints: [join(root, 'tool.ts')],
      absWorkingDir: root,
      write: false,
      bundle: true,
      format: 'esm',
      plugins: [sources.plugin],
      logLevel: 'silent',
    });
    const code = outputFiles[0]?.text ?? '';
    expect(code.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(code).toContain('"prefixed"');
  });

  it('treats a manifest that lists no source as no build at all', async () => {
    const cache = join(temp('gantry-build-cache-'), 'main');
    const { root, run } = project();
    await cachedBuild(cache, 'test-v1', root, run);
    const manifest = JSON.parse(readFileSync(join(cache, 'manifest.json'), 'utf8')) as { inputs: object };
    writeFileSync(join(cache, 'manifest.json'), JSON.stringify({ ...manifest, inputs: {} }));
    expect(currentBuild(cache, 'test-v1')).toBeUndefined();
  });

  it('tells sources from installed packages by the path inside the project, wherever the project is', () => {
    const root = '/home/dev/node_modules/gantry';
    expect(isSource(root, `${root}/cli/main.ts`)).toBe(true);
    expect(isSource(root, `${root}/node_modules/zod/index.js`)).toBe(false);
    expect(isSource('/work/gantry', '/work/gantry/examples/app/node_modules/x/index.js')).toBe(false);
  });

  it('reads GANTRY_CACHE_DIR from where the command started, wherever it then writes', () => {
    const before = process.env.GANTRY_CACHE_DIR;
    try {
      process.env.GANTRY_CACHE_DIR = 'relative/cache';
      expect(cacheRoot('/project')).toBe(join(process.cwd(), 'relative', 'cache'));
    } finally {
      if (before === undefined) delete process.env.GANTRY_CACHE_DIR;
      else process.env.GANTRY_CACHE_DIR = before;
    }
  });
});
