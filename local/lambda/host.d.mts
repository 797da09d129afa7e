import type { HostReply } from './protocol';

/** A Lambda handler as the hosts call it. */
export type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export function loadHandler(file: string, exportName: string): Promise<Handler>;
export function lambdaContext(
  env: NodeJS.ProcessEnv,
  functionArn: string,
  requestId: string,
  deadline: number,
): Record<string, unknown>;
export function describeError(error: unknown): { errorType: string; errorMessage: string; trace: string[] };
export function replyTo(id: number, running: Promise<unknown>): Promise<Extract<HostReply, { id: number }>>;
