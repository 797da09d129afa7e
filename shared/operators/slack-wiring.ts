import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { loadSlackConfig } from '../notify/env';
import type { Observability } from '../observability';
import { StateMachinePipelines } from '../pipelines/aws';
import { awsPipelineDeps } from '../pipelines/wiring';
import { TtlCache } from '../secrets/ttl-cache';
import { refusalRecorder } from './refusals';
import type { SlackActionDeps } from './slack-actions';

const SigningSecretSchema = z.object({ signingSecret: z.string().check(z.minLength(1)) });

/** The Slack route's ports on AWS: the pipeline's, the deployed pipelines, the signing secret (cached 5 min). */
export function awsSlackDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): SlackActionDeps {
  const slack = loadSlackConfig(env);
  const secrets = new SecretsManagerClient({});
  const cache = new TtlCache<string>(300_000);
  const pipeline = awsPipelineDeps(o11y, env);
  return {
    ...pipeline,
    unsigned: refusalRecorder(pipeline, Date.now, { unproven: true }),
    pipelines: new StateMachinePipelines(new SFNClient({})),
    signingSecret: () =>
      cache.get(slack.signingSecretId, async (id) => {
        const out = await secrets.send(new GetSecretValueCommand({ SecretId: id }));
        return SigningSecretSchema.parse(JSON.parse(out.SecretString ?? '{}')).signingSecret;
      }),
    respond: async (url, body) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(5_000),
      });
      await response.body?.cancel();
    },
    responseUrlPrefixes: slack.responseUrlPrefixes,
    signingSecretId: slack.signingSecretId,
  };
}
