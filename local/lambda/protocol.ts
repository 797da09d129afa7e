/** Messages between local mode and a function's worker thread. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly requestId: string;
  readonly event: unknown;
  readonly deadline: number;
}

export type WorkerReply =
  | { readonly type: 'ready' }
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
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
}
