import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gantryWith, ROOT } from '../../support/cli';

/**
 * `gantry` runs from a bundle of its sources cached beside the packages. What it runs must be
 * what the sources say: the same output as tsx gives, and never a bundle older than a source.
 */
describe('the gantry command’s bundle', () => {
  const dirs: string[] = [];
  const temp = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const env = (extra: NodeJS.ProcessEnv) => ({ ...process.env, GANTRY_CLI_FROM_SOURCE: '', ...extra });
  const bundleDir = (cache: string) => {
    const found = readdirSync(cache).filter((n) => n.startsWith('cli-'));
    expect(found).toHaveLength(1);
    return join(cache, found[0] as string);
  };

  it('is built once into the cache folder, answers as the sources do through tsx, and lists every source it holds', async () => {
    const cache = temp('gantry-cli-cache-');
    const fromSource = await gantryWith({ env: env({ GANTRY_CLI_FROM_SOURCE: '1' }) }, 'gates', 'evaluate', '--help');
    const bundled = await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache }) }, 'gates', 'evaluate', '--help');
    expect(fromSource.code).toBe(0);
    expect(bundled).toEqual(fromSource);

    const manifest = JSON.parse(readFileSync(join(bundleDir(cache), 'manifest.json'), 'utf8')) as {
      inputs: Record<string, string>;
    };
    // The entry, and a module only a lazily loaded command group reaches.
    expect(Object.keys(manifest.inputs)).toEqual(
      expect.arrayContaining([join(ROOT, 'cli', 'main.ts'), join(ROOT, 'shared', 'audit', 'reader.ts')]),
    );
    expect(Object.keys(manifest.inputs).filter((path) => path.includes('node_modules'))).toEqual([]);
  });

  it('never runs a bundle older than a source it read: a changed source rebuilds it first', async () => {
    const cache = temp('gantry-cli-cache-');
    expect((await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache }) }, '--version')).code).toBe(0);
    const dir = bundleDir(cache);
    // The bundle says something else, and its record says cli/main.ts has changed since it was built.
    writeFileSync(join(dir, 'main.mjs'), "process.stdout.write('stale bundle\\n');\n");
    const manifestFile = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { inputs: Record<string, string> };
    manifest.inputs[join(ROOT, 'cli', 'main.ts')] = '0'.repeat(64);
    writeFileSync(manifestFile, JSON.stringify(manifest));

    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const after = await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache }) }, '--version');
    expect(after).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(readFileSync(join(bundleDir(cache), 'main.mjs'), 'utf8')).not.toContain('stale bundle');
    expect(readdirSync(cache).filter((n) => /\.(tmp|stale)$/.test(n))).toEqual([]);
  });

  it('runs from source when its cache folder cannot be written', async () => {
    const blocked = join(temp('gantry-cli-cache-'), 'a-file');
    writeFileSync(blocked, '');
    const out = await gantryWith({ env: env({ GANTRY_CACHE_DIR: join(blocked, 'cache') }) }, 'gates', '--help');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('evaluate');
  });
});
