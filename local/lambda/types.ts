/** How a local Lambda invocation ended, in Lambda's own terms. */
export type InvokeOutcome =
  | { readonly ok: true; readonly payload: unknown }
  | {
      readonly ok: false;
      /** Lambda's `errorType`: the thrown error's name, or `Sandbox.Timedout` when the function ran out of time. */
      readonly errorType: string;
      readonly errorMessage: string;
      readonly trace: readonly string[];
    };

/** Port: runs a function of the template by name or ARN, as Lambda's Invoke would. */
export interface LambdaInvoker {
  invoke(functionNameOrArn: string, payload: unknown): Promise<InvokeOutcome>;
}
