import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { httpOutcome, observedHandler } from '../../shared/lambda/handler';
import { observability } from '../../shared/observability';
import { answerSlackAction } from '../../shared/operators/slack-actions';
import { awsSlackDeps } from '../../shared/operators/slack-wiring';

const o11y = observability();
const deps = awsSlackDeps(o11y);

/** POST /slack/interactions: Approve and Reject buttons from Slack, verified by Slack's request signature. */
export const handler = observedHandler(
  o11y,
  async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const answer = await answerSlackAction(deps, { headers, rawBody });
    return {
      statusCode: answer.status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(answer.body),
    };
  },
  httpOutcome,
);
