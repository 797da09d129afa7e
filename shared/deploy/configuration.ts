import { createHash } from 'node:crypto';
import type { FunctionConfiguration } from './ports';

/** SHA-256 (hex) of an environment's variables, names sorted: equal environments, equal digests. */
export function environmentDigest(variables: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(variables)
    .sort()
    .map((k) => [k, variables[k] ?? '']);
  return createHash('sha256').update(JSON.stringify(sorted), 'utf8').digest('hex');
}

/** Which parts of a configuration differ from another's (`layers`, `handler`, `runtime`, `environment`). */
export function configurationChanges(from: FunctionConfiguration, to: FunctionConfiguration): string[] {
  const changed: string[] = [];
  if (JSON.stringify(from.layers) !== JSON.stringify(to.layers)) changed.push('layers');
  if (from.handler !== to.handler) changed.push('handler');
  if (from.runtime !== to.runtime) changed.push('runtime');
  if (from.environmentSha256 !== to.environmentSha256) changed.push('environment');
  return changed;
}
