import { httpHandler } from '../../shared/lambda/http-handler';
import { observability } from '../../shared/observability';
import { answerOperatorRequest } from '../../shared/operators/operator-api';
import { awsCallerVerifier, awsConsoleTokens, awsOperatorDeps } from '../../shared/operators/wiring';

const o11y = observability();
const deps = awsOperatorDeps(o11y);
const callers = awsCallerVerifier();
const consoleTokens = awsConsoleTokens();

/**
 * The operator API: approvals, cancels and rollbacks from operators who prove who they are (STS),
 * and from the web console's people, whose ID tokens it verifies itself.
 */
export const handler = httpHandler(o11y, (request) => answerOperatorRequest(deps, request, callers, consoleTokens));
