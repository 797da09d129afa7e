import * as z from 'zod/mini';
import { intFromEnv, jsonFromEnv, readEnv } from '../config/env';
import { type StatusApis, StatusApisSchema } from '../status/port';

export type { StatusApis };

/** Environment variables the pipeline constructs set and the step functions read. */
export const PIPELINE_ENV = {
  runsTable: 'RUNS_TABLE_NAME',
  /** Where the webhook receiver records verified deliveries (ResolvePlan reads it). */
  deliveriesTable: 'DELIVERIES_TABLE_NAME',
  eventBus: 'EVENT_BUS_NAME',
  secretCacheSeconds: 'SECRET_CACHE_TTL_SECONDS',
  /** JSON: connection name → `{ provider, apiUrl }`, where commit statuses are posted. */
  statusApis: 'STATUS_API_URLS',
} as const;

export interface PipelineConfig {
  readonly runsTable: string;
  readonly eventBus: string;
  readonly secretCacheMs: number;
  readonly statusApis: StatusApis;
}

export function loadPipelineConfig(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const e = readEnv(
    z.object({
      [PIPELINE_ENV.runsTable]: z.string().check(z.minLength(1)),
      [PIPELINE_ENV.eventBus]: z.string().check(z.minLength(1)),
      [PIPELINE_ENV.secretCacheSeconds]: intFromEnv(300),
      [PIPELINE_ENV.statusApis]: z._default(jsonFromEnv(StatusApisSchema), {}),
    }),
    env,
  );
  return {
    runsTable: e[PIPELINE_ENV.runsTable],
    eventBus: e[PIPELINE_ENV.eventBus],
    secretCacheMs: e[PIPELINE_ENV.secretCacheSeconds] * 1000,
    statusApis: e[PIPELINE_ENV.statusApis],
  };
}
