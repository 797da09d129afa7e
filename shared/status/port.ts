import * as z from 'zod';

/** Each connection's status API: which provider it speaks and where (the function's configuration). */
export const StatusApisSchema = z.record(z.string(), z.object({ provider: z.string(), apiUrl: z.string() }));
export type StatusApis = z.infer<typeof StatusApisSchema>;

/** A commit status as the provider shows it next to the commit. */
export interface CommitStatusRequest {
  readonly provider: string;
  /** The connection whose API URL and token are used. */
  readonly connection: string;
  readonly secretId: string;
  readonly repository: string;
  readonly commit: string;
  readonly state: 'pending' | 'success' | 'failure' | 'error';
  readonly context: string;
  readonly description: string;
  readonly targetUrl?: string;
}

/** Port: posts commit statuses; never fails a run because a provider did not answer. */
export interface StatusPort {
  report(status: CommitStatusRequest): Promise<void>;
}
