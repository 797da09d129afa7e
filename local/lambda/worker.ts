import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { InvokeMessage, WorkerReply, WorkerSetup } from './protocol';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Inside the worker: imports the handler once (the cold start), then serves invocations with
 * a Lambda-shaped context. Errors travel back in Lambda's own terms (errorType, errorMessage).
 */
const setup = workerData as WorkerSetup;
const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');
const reply = (message: WorkerReply) => port.postMessage(message);

let handler: Handler | undefined;
try {
  const module = (await import(pathToFileURL(setup.entry).href)) as Record<string, unknown>;
  const exported = module[setup.handlerExport];
  if (typeof exported !== 'function')
    throw new TypeError(`${setup.entry} does not export a function "${setup.handlerExport}"`);
  handler = exported as Handler;
  reply({ type: 'ready' });
} catch (error) {
  reply({ type: 'init-error', ...describe(error) });
}

port.on('message', (message: InvokeMessage) => {
  if (handler === undefined) return;
  void invoke(handler, message);
});

async function invoke(fn: Handler, message: InvokeMessage): Promise<void> {
  try {
    const payload = await fn(message.event, context(message));
    reply({ type: 'result', id: message.id, payload: payload === undefined ? null : payload });
  } catch (error) {
    reply({ type: 'error', id: message.id, ...describe(error) });
  }
}

function context(message: InvokeMessage) {
  return {
    functionName: setup.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: setup.functionArn,
    memoryLimitInMB: String(setup.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: `/aws/lambda/${setup.functionName}`,
    logStreamName: `local/${setup.functionName}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
}

function describe(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
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
