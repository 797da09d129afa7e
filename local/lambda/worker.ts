import { parentPort, workerData } from 'node:worker_threads';
import { describeError, type Handler, lambdaContext, loadHandler, replyTo } from './host.mjs';
import type { HostReply, InvokeMessage, WorkerSetup } from './protocol';

/**
 * Inside the worker: imports the handler once (the cold start), then serves invocations with
 * a Lambda-shaped context. Errors travel back in Lambda's own terms (errorType, errorMessage).
 */
const setup = workerData as WorkerSetup;
const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');
const reply = (message: HostReply) => port.postMessage(message);

let handler: Handler | undefined;
try {
  handler = await loadHandler(setup.entry, setup.handlerExport);
  reply({ type: 'ready' });
} catch (error) {
  reply({ type: 'init-error', ...describeError(error) });
}

port.on('message', (message: InvokeMessage) => {
  const fn = handler;
  if (fn === undefined) return;
  const context = lambdaContext(process.env, setup.functionArn, message.requestId, message.deadline);
  void replyTo(
    message.id,
    Promise.resolve().then(() => fn(message.event, context)),
  ).then(reply);
});
