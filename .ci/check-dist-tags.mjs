#!/usr/bin/env node
// Fails when package-lock.json resolves a dependency through a dist-tag (`latest`, `next`, …)
// or a wildcard (`*`) that package.json does not pin with an `overrides` entry.
//
// Why: `npm ci` re-resolves such a spec against the registry's current tag. When upstream
// publishes, the recorded version no longer "satisfies" the tag and every fresh install
// fails with "lock file's X@a does not satisfy X@b" (jschardet 4.1.0, October 2026).
// An override replaces the spec with a pinned one, so the lockfile stays valid.
//
// Runs before `npm ci`, so it uses nothing from node_modules.
// Usage: node .ci/check-dist-tags.mjs [path/to/project]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const DEPENDENCY_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies'];

/**
 * How npm reads a dependency spec, in the terms this check needs: `tag` and `wildcard`
 * float with the registry; everything else (ranges, versions, URLs, git, files) does not.
 * Mirrors npm-package-arg: a registry spec that is not a valid semver range is a tag.
 */
export function specKind(spec) {
  const s = spec.trim();
  if (s.startsWith('npm:')) {
    const at = s.lastIndexOf('@');
    return at > 4 ? specKind(s.slice(at + 1)) : 'wildcard';
  }
  if (/^(file|link|git|git\+\w+|https?|workspace):/.test(s) || /^[\w.-]+\/[\w.-]+(#.*)?$/.test(s)) return 'other';
  if (s === '' || /^[*xX](\.[*xX])*$/.test(s) || /^[v=\s]*[*xX]$/.test(s)) return 'wildcard';
  if (/^[A-Za-z][\w.-]*$/.test(s) && !/^[vV]?\d/.test(s) && !/^[xX](\.[xX*]|$)/.test(s)) return 'tag';
  return 'range';
}

/** Where npm would find `name` when required from the package installed at `location`. */
function resolveInstalled(packages, location, name) {
  let at = location;
  for (;;) {
    const candidate = `${at ? `${at}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!at) return undefined;
    const cut = at.lastIndexOf('/node_modules/');
    at = cut === -1 ? '' : at.slice(0, cut);
  }
}

/** Names that an `overrides` object pins, at any depth (`"a": {"b": "1.0.0"}` pins both). */
function overriddenNames(overrides, names = new Set()) {
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (key === '.') continue;
    names.add(key.replace(/(.)@.*$/, '$1'));
    if (value && typeof value === 'object') overriddenNames(value, names);
  }
  return names;
}

/**
 * Every installed dependency whose spec floats (tag or wildcard) with no override.
 * @returns {{ from: string, name: string, spec: string, kind: string }[]}
 */
export function floatingDependencies(manifest, lock) {
  const pinned = overriddenNames(manifest.overrides);
  const packages = lock.packages ?? {};
  const found = [];
  for (const [location, entry] of Object.entries(packages)) {
    for (const field of DEPENDENCY_FIELDS) {
      if (field === 'devDependencies' && location !== '') continue;
      for (const [name, spec] of Object.entries(entry[field] ?? {})) {
        const kind = specKind(String(spec));
        if (kind !== 'tag' && kind !== 'wildcard') continue;
        if (pinned.has(name) || !resolveInstalled(packages, location, name)) continue;
        found.push({ from: location || '(root)', name, spec: String(spec), kind });
      }
    }
  }
  return found;
}

function main(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  const floating = floatingDependencies(manifest, lock);
  if (floating.length === 0) {
    console.log('no dependency resolves through a dist-tag or wildcard without an override');
    return 0;
  }
  const names = [...new Set(floating.map((f) => f.name))].join(', ');
  console.error(
    `package-lock.json resolves ${names} through a dist-tag or wildcard: pin each in package.json "overrides" (npm ci breaks when the tag moves)`,
  );
  for (const f of floating) {
    console.error(`  ${f.from.replace(/^node_modules\//, '')} depends on ${f.name}@"${f.spec}" (a ${f.kind})`);
  }
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exit(main(resolve(process.argv[2] ?? '.')));
}
