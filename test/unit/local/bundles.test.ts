import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handlerModules } from '../../../local/lambda/bundles';
import { settleFolders } from '../../support/settle-folders';

/** A handler in its own folder that imports a helper, so a change to either can be made. */
function handlerFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bundle-src-'));
  writeFileSync(join(dir, 'greeting.ts'), "export const greeting: string = 'first';\n");
  writeFileSync(
    join(dir, 'handler.ts'),
    "import { greeting } from './greeting';\nexport const handler = async () => greeting;\n",
  );
  settleFolders(dir);
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
});
