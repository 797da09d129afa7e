// What both Lambda hosts share (the worker thread in local/lambda/worker.ts and the version
// process in local/lambda-api/host-entry.mjs): loading the handler, Lambda's context, and the
// replies of the protocol in ./protocol.ts. Plain JavaScript, so the version process needs no loader.
import { pathToFileURL } from 'node:url';

/** Imports `file` and returns its export `exportName` (the cold start); throws what the import threw. */
export async function loadHandler(file, exportName) {
  const module = await import(pathToFileURL(file).href);
  const handler = module[exportName];
  if (typeof handler !== 'function') throw new TypeError(`${file} does not export a function "${exportName}"`);
  return handler;
}

/** Lambda's context object for one invocation, from the variables Lambda sets in the environment. */
export function lambdaContext(env, functionArn, requestId, deadline) {
  return {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: functionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/** An error in Lambda's own terms: `errorType` (its name), `errorMessage` and the stack's frames. */
export function describeError(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '')
        .split('\n')
        .slice(1)
        .map((l) => l.trim()),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

/** The reply to invocation `id` once `running` settles: its result (undefined as null) or its error. */
export function replyTo(id, running) {
  return running.then(
    (payload) => ({ type: 'result', id, payload: payload === undefined ? null : payload }),
    (error) => ({ type: 'error', id, ...describeError(error) }),
  );
}
