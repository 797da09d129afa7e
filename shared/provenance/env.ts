import * as z from 'zod/mini';
import { readEnv } from '../config/env';

/** The KMS alias of the provenance signing key: the CLI and auditors find it by this name. */
export const PROVENANCE_KEY_ALIAS = 'alias/gantry-provenance';

/** Environment variables the provenance construct sets: which KMS key signs build provenance. */
export const PROVENANCE_ENV = { keyId: 'PROVENANCE_KEY_ID' } as const;

export function loadProvenanceConfig(env: NodeJS.ProcessEnv = process.env): { keyId: string } {
  const e = readEnv(z.object({ [PROVENANCE_ENV.keyId]: z.string().check(z.minLength(1)) }), env);
  return { keyId: e[PROVENANCE_ENV.keyId] };
}
