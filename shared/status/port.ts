import * as z from 'zod/mini';
import type { CommitStatusRequest } from './types';

/** Each connection's status API: which provider it speaks and where (the function's configuration). */
export const StatusApisSchema = z.record(z.string(), z.object({ provider: z.string(), apiUrl: z.string() }));
export type StatusApis = z.infer<typeof StatusApisSchema>;

/**
 * Port: reports a run's commit status back to its Git provider. The only status port: its
 * adapter (`ConnectionStatusPort`) resolves the connection and sends over HTTP. Never fails a
 * run because a provider did not answer; rejects only for a status no provider could accept.
 */
export interface StatusPort {
  report(status: CommitStatusRequest): Promise<void>;
}
