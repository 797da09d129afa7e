import * as z from 'zod/mini';
import type { CommitStatusRequest } from './types';

/** Each connection's status API: which provider it speaks and where (the function's configuration). */
export const StatusApisSchema = z.record(z.string(), z.object({ provider: z.string(), apiUrl: z.string() }));
export type StatusApis = z.infer<typeof StatusApisSchema>;

/**
 * What became of a status: the provider has it, or not, and then whether asking again later may
 * change that (no answer, a 5xx or 429, or credentials it refused, which an operator can fix).
 */
export interface StatusPosted {
  readonly posted: boolean;
  readonly retryLater: boolean;
}

/**
 * Port: reports a run's commit status back to its Git provider. The only status port: its
 * adapter (`ConnectionStatusPort`) resolves the connection and sends over HTTP. Never fails a
 * run because a provider did not answer (it says so in its answer); rejects only for a status no
 * provider could accept, or a token it could not read.
 */
export interface StatusPort {
  report(status: CommitStatusRequest): Promise<StatusPosted>;
}
