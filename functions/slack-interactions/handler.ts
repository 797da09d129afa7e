import { httpHandler, jsonResponse, lowerCaseHeaders, rawBodyOf } from '../../shared/lambda/http-handler';
import { observability } from '../../shared/observability';
import { answerSlackAction } from '../../shared/operators/slack-actions';
import { awsSlackDeps } from '../../shared/operators/slack-wiring';

const o11y = observability();
const deps = awsSlackDeps(o11y);

/** POST /slack/interactions: Approve and Reject buttons from Slack, verified by Slack's request signature. */
export const handler = httpHandler(o11y, async (request) => {
  const answer = await answerSlackAction(deps, { headers: lowerCaseHeaders(request), rawBody: rawBodyOf(request) });
  return jsonResponse(answer.status, answer.body);
});
