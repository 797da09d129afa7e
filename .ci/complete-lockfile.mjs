#!/usr/bin/env node
// Restores lockfile entries for platform-specific optional packages (biome, swc, unrs, ...)
// that `npm install` leaves out when the registry it talks to serves only this machine's
// platform. Without those entries `npm ci` refuses the lockfile as out of sync, on every
// machine. Each entry is derived from the package name (os/cpu/libc) and the version the
// parent pins; npm skips them at install on any other platform, so nothing is downloaded.
//
// Usage: node .ci/complete-lockfile.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const check = process.argv.includes('--check');

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openharmony', 'win32', 'sunos', 'openbsd', 'netbsd', 'aix'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu =
    parts.find((p) => CPU.includes(p)) ?? (parts.includes('eabi') || parts.includes('gnueabihf') ? 'arm' : undefined);
  if (!os || !cpu) return undefined;
  const entry = { os: [os], cpu: [cpu] };
  if (os === 'linux') entry.libc = [parts.some((p) => p.startsWith('musl')) ? 'musl' : 'glibc'];
  return entry;
}

const added = [];
for (const [location, pkg] of Object.entries(lock.packages)) {
  for (const [dep, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${dep}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+/.test(spec)) continue;
    added.push(dep);
    if (!check) {
      lock.packages[`node_modules/${dep}`] = {
        version: spec,
        ...platform,
        ...(pkg.dev ? { dev: true } : {}),
        optional: true,
      };
    }
  }
}

if (check) {
  if (added.length > 0) {
    console.error(`package-lock.json lacks ${added.length} platform packages: run node .ci/complete-lockfile.mjs`);
    process.exit(1);
  }
} else if (added.length > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
  );
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`added ${added.length} platform entries: ${added.join(', ')}`);
}
