/**
 * The one protocol between local mode and a Lambda host: a control-plane function's worker thread
 * (local/lambda/worker.ts) or a service version's process (local/lambda-api/host-entry.mjs). The
 * host loads the handler and says `ready` (or `init-error`); each `invoke` gets a `result` or an
 * `error` with the same id. Both hosts build replies with local/lambda/host.mjs.
 */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly requestId: string;
  readonly event: unknown;
  /** Epoch ms the invocation's time runs out: the context's getRemainingTimeInMillis. */
  readonly deadline: number;
}

export type HostReply =
  /** `port`: where a version process serves its function URL. */
  | { readonly type: 'ready'; readonly port?: number }
  | {
      readonly type: 'init-error';
      readonly errorType: string;
      readonly errorMessage: string;
      readonly trace: readonly string[];
    }
  | { readonly type: 'result'; readonly id: number; readonly payload: unknown }
  | {
      readonly type: 'error';
      readonly id: number;
      readonly errorType: string;
      readonly errorMessage: string;
      readonly trace: readonly string[];
    };

/** What a worker is started with. */
export interface WorkerSetup {
  readonly entry: string;
  readonly handlerExport: string;
  readonly functionArn: string;
}
