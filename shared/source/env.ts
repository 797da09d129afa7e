import * as z from 'zod/mini';
import { readEnv } from '../config/env';

/** Environment variables the pipeline steps construct sets for the fetch-source function. */
export const SOURCE_ENV = {
  /** The artifacts bucket, where snapshots are stored under `sources/<pipeline>/`. */
  bucket: 'ARTIFACTS_BUCKET_NAME',
} as const;

export function loadSourceConfig(env: NodeJS.ProcessEnv = process.env): { bucket: string } {
  const e = readEnv(z.object({ [SOURCE_ENV.bucket]: z.string().check(z.minLength(1)) }), env);
  return { bucket: e[SOURCE_ENV.bucket] };
}
