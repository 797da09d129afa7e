import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import { PROJECT_ROOT } from '../../../infra/paths';
import { handlerModules, projectHandlerEntries } from '../../../local/lambda/bundles';

/** A handler in its own folder that imports a helper, so a change to either can be made. */
function handlerFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bundle-src-'));
  writeFileSync(join(dir, 'greeting.ts'), "export const greeting: string = 'first';\n");
  writeFileSync(
    join(dir, 'handler.ts'),
    "import { greeting } from './greeting';\nexport const handler = async () => greeting;\n",
  );
  return dir;
}

describe('handlerModules', () => {
  const dirs: string[] = [];
  const temp = (dir: string) => {
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('bundles each handler into one ES module under the cache folder, with the worker loop', async () => {
    const src = temp(handlerFolder());
    const cacheDir = temp(mkdtempSync(join(tmpdir(), 'gantry-bundle-cache-')));
    const entry = join(src, 'handler.ts');
    const module = (await handlerModules([entry], { cacheDir })).get(entry);
    expect(module?.entry.startsWith(cacheDir)).toBe(true);
    expect(fileURLToPath(module?.script ?? '').startsWith(cacheDir)).toBe(true);
    // One file: the helper's code is inside it, not imported from the source folder.
    const code = readFileSync(module?.entry ?? '', 'utf8');
    expect(code).toContain('"first"');
    expect(code).not.toContain('./greeting');
    const loaded = (await import(module?.entry ?? '')) as { handler: () => Promise<string> };
    await expect(loaded.handler()).resolves.toBe('first');
  });

  it('reuses the bundles while the sources are unchanged, and rebuilds when an imported file changes', async () => {
    const src = temp(handlerFolder());
    const cacheDir = temp(mkdtempSync(join(tmpdir(), 'gantry-bundle-cache-')));
    const entry = join(src, 'handler.ts');
    const first = (await handlerModules([entry], { cacheDir })).get(entry)?.entry ?? '';
    const builtAt = statSync(first).mtimeMs;
    const again = (await handlerModules([entry], { cacheDir })).get(entry)?.entry ?? '';
    expect(again).toBe(first);
    expect(statSync(again).mtimeMs).toBe(builtAt);

    writeFileSync(join(src, 'greeting.ts'), "export const greeting: string = 'second';\n");
    const rebuilt = (await handlerModules([entry], { cacheDir })).get(entry)?.entry ?? '';
    expect(readFileSync(rebuilt, 'utf8')).toContain('"second"');
    expect(readdirSync(dirname(dirname(rebuilt))).filter((n) => /\.(tmp|stale)$/.test(n))).toEqual([]);
  });

  it('loads every handler from source when one cannot be bundled, so the broken one reports its own error', async () => {
    const src = temp(handlerFolder());
    const cacheDir = temp(mkdtempSync(join(tmpdir(), 'gantry-bundle-cache-')));
    const good = join(src, 'handler.ts');
    const bad = join(src, 'bad.ts');
    writeFileSync(bad, 'export const handler = async () => {;\n');
    const modules = await handlerModules([good, bad], { cacheDir });
    expect(modules.get(good)?.entry).toBe(good);
    expect(modules.get(bad)?.entry).toBe(bad);
    expect(modules.get(bad)?.script.pathname.endsWith('/local/lambda/worker-entry.mjs')).toBe(true);
  });

  it('says why the handlers load from source when GANTRY_DEBUG asks', async () => {
    const src = temp(handlerFolder());
    const cacheDir = temp(mkdtempSync(join(tmpdir(), 'gantry-bundle-cache-')));
    const bad = join(src, 'bad.ts');
    writeFileSync(bad, 'export const handler = async () => {;\n');
    const written: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const before = process.env.GANTRY_DEBUG;
    try {
      process.env.GANTRY_DEBUG = '1';
      await handlerModules([bad], { cacheDir });
    } finally {
      write.mockRestore();
      if (before === undefined) delete process.env.GANTRY_DEBUG;
      else process.env.GANTRY_DEBUG = before;
    }
    const said = written.find((line) => line.startsWith('gantry: handlers load from source: '));
    expect(said).toMatch(/bad\.ts.*Unexpected/s);
  });

  it('ends its bundling process, quietly, when the process that asked goes away mid-build', async () => {
    const outdir = temp(mkdtempSync(join(tmpdir(), 'gantry-bundle-out-')));
    const child = fork(fileURLToPath(new URL('../../../local/lambda/bundle-process.mjs', import.meta.url)), [], {
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Every handler of the project: seconds of work, so the build is under way when its owner goes.
    const entries = projectHandlerEntries();
    child.send({
      projectRoot: PROJECT_ROOT,
      options: { entryPoints: entries, outdir, bundle: true, format: 'esm', platform: 'node', splitting: true },
    });
    // Building once esbuild's own process runs under it (Linux lists a process's children in
    // /proc; elsewhere, a moment after the send).
    const children = `/proc/${child.pid}/task/${child.pid}/children`;
    if (existsSync(children)) {
      while (readFileSync(children, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 5));
    } else await new Promise((r) => setTimeout(r, 500));
    child.disconnect(); // as the channel closes when its owner is killed
    expect(await exited).toBe(0);
    // Before: it finished the build for no one, then failed to send it, with a stack trace on the terminal.
    expect(readdirSync(outdir)).toEqual([]);
    expect(output).toBe('');
  });
});
