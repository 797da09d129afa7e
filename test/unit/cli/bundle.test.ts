import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gantryWith, ROOT } from '../../support/cli';
import { tempFolders } from '../../support/temp';

/**
 * `gantry` runs from a bundle of its sources cached beside the packages. What it runs must be
 * what the sources say: the same output as tsx gives, and never a bundle older than a source.
 */
describe('the gantry command’s bundle', () => {
  const temp = tempFolders();
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

  /** The build the cache folder's manifest names as current: its folder, and the manifest. */
  const currentBuildOf = (cache: string) => {
    const dir = bundleDir(cache);
    const manifestFile = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      build: string;
      inputs: Record<string, string>;
      files: string[];
    };
    return { built: join(dir, manifest.build), manifest, manifestFile };
  };
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

  it('never runs a bundle older than a source it read: a changed source rebuilds it first', async () => {
    const cache = temp('gantry-cli-cache-');
    expect((await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache }) }, '--version')).code).toBe(0);
    const { built, manifest, manifestFile } = currentBuildOf(cache);
    // The bundle says something else, and its record says cli/main.ts has changed since it was built.
    writeFileSync(join(built, 'main.mjs'), "process.stdout.write('stale bundle\\n');\n");
    manifest.inputs[join(ROOT, 'cli', 'main.ts')] = '0'.repeat(64);
    writeFileSync(manifestFile, JSON.stringify(manifest));

    const after = await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache }) }, '--version');
    expect(after).toMatchObject({ code: 0, stdout: `${version}\n` });
    const rebuilt = currentBuildOf(cache);
    expect(rebuilt.built).not.toBe(built);
    expect(readFileSync(join(rebuilt.built, 'main.mjs'), 'utf8')).not.toContain('stale bundle');
  });

  it('rebuilds a bundle a file of which is missing, rather than failing every command', async () => {
    const cache = temp('gantry-cli-cache-');
    expect((await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache }) }, '--version')).code).toBe(0);
    const { built, manifest } = currentBuildOf(cache);
    const chunk = manifest.files.find((file) => file.endsWith('.mjs') && file !== 'main.mjs') as string;
    rmSync(join(built, chunk));
    const out = await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache }) }, 'gates', 'evaluate', '--help');
    expect(out).toMatchObject({ code: 0, stdout: expect.stringContaining('--junit') });
    expect(currentBuildOf(cache).built).not.toBe(built);
  });

  it('runs from source when a file of the bundle goes missing after it was checked, before any of it ran', async () => {
    const cache = temp('gantry-cli-cache-');
    expect((await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache }) }, '--version')).code).toBe(0);
    const { built, manifest, manifestFile } = currentBuildOf(cache);
    // A chunk main.mjs imports, gone from the disk and (so the check passes) from the record.
    const chunk = /from "\.\/(chunk-[^"]+\.mjs)"/.exec(readFileSync(join(built, 'main.mjs'), 'utf8'))?.[1] as string;
    rmSync(join(built, chunk));
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, files: manifest.files.filter((f) => f !== chunk) }));
    const out = await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache, GANTRY_DEBUG: '1' }) }, '--version');
    expect(out).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(out.stderr).toMatch(/gantry: running from source: .*chunk-/);
  });

  it('runs from source when its cache folder is one others may write, and says so with GANTRY_DEBUG', async () => {
    const cache = temp('gantry-cli-cache-');
    expect((await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache }) }, '--version')).code).toBe(0);
    const { built } = currentBuildOf(cache);
    // Someone else could have written what is in it: a planted main.mjs must not run.
    writeFileSync(join(built, 'main.mjs'), "process.stdout.write('planted\\n');\n");
    chmodSync(bundleDir(cache), 0o777);
    const out = await gantryWith({ env: env({ GANTRY_CACHE_DIR: cache, GANTRY_DEBUG: '1' }) }, '--version');
    expect(out).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(out.stderr).toMatch(/gantry: running from source: .* is not a folder only this user can write/);
  });

  it('runs from source when its cache folder cannot be written', async () => {
    const blocked = join(temp('gantry-cli-cache-'), 'a-file');
    writeFileSync(blocked, '');
    const out = await gantryWith({ env: env({ GANTRY_CACHE_DIR: join(blocked, 'cache') }) }, 'gates', '--help');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('evaluate');
  });
});
