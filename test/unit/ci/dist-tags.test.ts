import semver from 'semver';
// @ts-expect-error: plain .mjs script without type declarations; it runs before node_modules exists.
import { floatingDependencies, specKind } from '../../../.ci/check-dist-tags.mjs';

type Floating = { from: string; name: string; spec: string; kind: string };
const floating = floatingDependencies as (manifest: object, lock: object) => Floating[];
const kindOf = specKind as (spec: string) => string;

describe('specKind', () => {
  it.each(['latest', 'next', 'beta', 'canary', 'legacy-v3', 'rc.1', 'experimental_x', 'x.1'])(
    'reads %s as a dist-tag, as npm does (not a semver range)',
    (spec) => {
      expect(semver.validRange(spec)).toBeNull();
      expect(kindOf(spec)).toBe('tag');
    },
  );

  it.each(['*', '', 'x', 'X', 'x.x', '*.*'])('reads %j as a wildcard', (spec) => {
    expect(semver.validRange(spec)).toBe('*');
    expect(kindOf(spec)).toBe('wildcard');
  });

  it.each([
    '^1.2.3',
    '~2.1',
    '1.x',
    '>=1.0.0 <2',
    '1 || 2',
    'v1.2.3',
    '=1.0.0',
    '4.0.0',
    '1.0.0-rc.1',
    '1.2.3 - 2.3.4',
  ])('reads %s as a range, as semver does', (spec) => {
    expect(semver.validRange(spec)).not.toBeNull();
    expect(kindOf(spec)).toBe('range');
  });

  it.each([
    ['npm:other@latest', 'tag'],
    ['npm:other@^1.0.0', 'range'],
    ['npm:other', 'wildcard'],
    ['file:../x', 'other'],
    ['git+https://example.test/a.git', 'other'],
    ['owner/repo#main', 'other'],
  ])('reads %s as %s', (spec, kind) => {
    expect(kindOf(spec)).toBe(kind);
  });
});

describe('floatingDependencies', () => {
  const lock = {
    packages: {
      '': { devDependencies: { formatter: '^3.1.0' } },
      'node_modules/formatter': { version: '3.1.0', dependencies: { chardet: 'latest', optional: '*' } },
      'node_modules/chardet': { version: '4.0.0' },
      'node_modules/types': { version: '1.0.0', peerDependencies: { absent: '*' } },
    },
  };

  it('reports a dependency resolved through a dist-tag without an override', () => {
    const found = floating({}, lock);
    expect(found).toContainEqual({ from: 'node_modules/formatter', name: 'chardet', spec: 'latest', kind: 'tag' });
  });

  it('ignores a floating spec for a package that is not installed (an optional peer)', () => {
    expect(floating({}, lock).map((f) => f.name)).not.toContain('absent');
    expect(floating({}, lock).map((f) => f.name)).not.toContain('optional');
  });

  it('accepts the same lockfile once package.json pins the package with an override', () => {
    expect(floating({ overrides: { chardet: '4.0.0' } }, lock)).toEqual([]);
  });

  it('accepts a nested override as a pin', () => {
    expect(floating({ overrides: { formatter: { chardet: '4.0.0' } } }, lock)).toEqual([]);
  });

  it('finds a nested install that shadows the hoisted one', () => {
    const nested = {
      packages: {
        'node_modules/a': { version: '1.0.0', dependencies: { b: 'next' } },
        'node_modules/a/node_modules/b': { version: '2.0.0-next.1' },
      },
    };
    expect(floating({}, nested)).toEqual([{ from: 'node_modules/a', name: 'b', spec: 'next', kind: 'tag' }]);
  });
});

describe("this project's lockfile", () => {
  it('resolves nothing through a dist-tag or wildcard without an override', async () => {
    const { readFile } = await import('node:fs/promises');
    const manifest = JSON.parse(await readFile('package.json', 'utf8'));
    const lockfile = JSON.parse(await readFile('package-lock.json', 'utf8'));
    expect(floating(manifest, lockfile)).toEqual([]);
  });
});
