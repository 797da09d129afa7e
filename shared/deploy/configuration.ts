import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FunctionConfiguration } from './ports';

/** SHA-256 (hex) of an environment's variables, names sorted: equal environments, equal digests. */
export function environmentDigest(variables: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(variables)
    .sort()
    .map((k) => [k, variables[k] ?? '']);
  return createHash('sha256').update(JSON.stringify(sorted), 'utf8').digest('hex');
}

/**
 * The key this process tags environment values with. It never leaves the process, so a tag says
 * nothing about a value anywhere else (a plain per-variable hash of `DEBUG=true` would).
 */
const VALUE_TAG_KEY = randomBytes(32);

/**
 * One tag per variable (HMAC-SHA-256 of its value under this process's own key): two
 * configurations read in one process show which values differ, without keeping any value.
 */
export function environmentValueTags(variables: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      createHmac('sha256', VALUE_TAG_KEY).update(value, 'utf8').digest('hex'),
    ]),
  );
}

/**
 * The digest an operator accepts a configuration by (`gantry runs retry --accept-configuration`):
 * SHA-256 (hex) of the UTF-8 JSON `{"layers":[…],"handler":…,"runtime":…,"environmentSha256":…}`,
 * keys in that order, layers (ARNs) in the function's order, which Lambda applies them in. It
 * covers what a version runs besides its package; environment values only through their digest.
 */
export function configurationDigest(configuration: FunctionConfiguration): string {
  const { layers, handler, runtime, environmentSha256 } = configuration;
  const platform = platformEntries(configuration);
  const canonical = JSON.stringify({
    layers: [...layers],
    handler,
    runtime,
    environmentSha256,
    ...(platform.length === 0 ? {} : { platform: Object.fromEntries(platform) }),
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** Which parts of a configuration differ from another's (`layers`, `handler`, `runtime`, `environment`). */
export function configurationChanges(from: FunctionConfiguration, to: FunctionConfiguration): string[] {
  const changed: string[] = [];
  if (JSON.stringify(from.layers) !== JSON.stringify(to.layers)) changed.push('layers');
  if (from.handler !== to.handler) changed.push('handler');
  if (from.runtime !== to.runtime) changed.push('runtime');
  if (from.environmentSha256 !== to.environmentSha256) changed.push('environment');
  for (const key of platformChanges(from, to)) changed.push(key);
  return changed;
}

/** The platform settings a configuration names, keys sorted (empty ones left out). */
function platformEntries(configuration: FunctionConfiguration): [string, string][] {
  return Object.entries(configuration.platform ?? {})
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => a.localeCompare(b));
}

/** Which platform settings (role, vpc, …) differ between two configurations. */
function platformChanges(from: FunctionConfiguration, to: FunctionConfiguration): string[] {
  const keys = new Set([...Object.keys(from.platform ?? {}), ...Object.keys(to.platform ?? {})]);
  return [...keys].sort().filter((k) => (from.platform?.[k] ?? '') !== (to.platform?.[k] ?? ''));
}

/**
 * What differs between two configurations, in words an operator acts on: layers added and removed
 * by ARN, handler and runtime from → to, environment variables added, removed or changed, by
 * name only (values may be secrets).
 */
export function describeConfigurationChanges(from: FunctionConfiguration, to: FunctionConfiguration): string[] {
  const said: string[] = [];
  const added = to.layers.filter((l) => !from.layers.includes(l));
  const removed = from.layers.filter((l) => !to.layers.includes(l));
  if (added.length > 0) said.push(`layers added: ${added.join(', ')}`);
  if (removed.length > 0) said.push(`layers removed: ${removed.join(', ')}`);
  if (added.length === 0 && removed.length === 0 && from.layers.join() !== to.layers.join())
    said.push(`layers reordered: ${from.layers.join(', ')} → ${to.layers.join(', ')}`);
  if (from.handler !== to.handler) said.push(`handler ${from.handler} → ${to.handler}`);
  if (from.runtime !== to.runtime) said.push(`runtime ${from.runtime} → ${to.runtime}`);
  if (from.environmentSha256 !== to.environmentSha256) said.push(...environmentChanges(from, to));
  for (const key of platformChanges(from, to))
    said.push(`${key} ${from.platform?.[key] || '(none)'} → ${to.platform?.[key] || '(none)'}`);
  return said;
}

function environmentChanges(from: FunctionConfiguration, to: FunctionConfiguration): string[] {
  const said: string[] = [];
  const added = to.environmentKeys.filter((k) => !from.environmentKeys.includes(k));
  const removed = from.environmentKeys.filter((k) => !to.environmentKeys.includes(k));
  if (added.length > 0) said.push(`environment variables added: ${added.join(', ')}`);
  if (removed.length > 0) said.push(`environment variables removed: ${removed.join(', ')}`);
  const before = from.environmentValueTags;
  const after = to.environmentValueTags;
  const kept = to.environmentKeys.filter((k) => from.environmentKeys.includes(k));
  const changed = before && after ? kept.filter((k) => before[k] !== after[k]) : [];
  if (changed.length > 0) said.push(`environment variables with another value: ${changed.join(', ')}`);
  // Without tags (or were only the names' order to differ) the digest alone says something changed.
  if (said.length === 0) said.push('environment values changed (which variables could not be told)');
  return said;
}
