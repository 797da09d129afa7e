import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { documentClient } from '../aws/clients';
import { deferredAwsDeployControl, deployDepsWith } from '../deploy/wiring';
import type { Observability } from '../observability';
import { StateMachinePipelines } from '../pipelines/aws';
import type { OperatorDeps } from './actions';
import {
  type CallerVerifier,
  OnceCallerVerifier,
  operatorAudience,
  StsCallerVerifier,
  stsEndpointFor,
} from './caller-proof';
import { OPERATOR_ENV } from './env';
import { OidcTokenVerifier, oidcSettingsFromEnv } from './oidc';
import { DynamoDbUsedProofs } from './used-proofs';

/**
 * The operator API's ports: the deploy ports (their clients loaded when a cancel first stops a
 * deployment) plus each pipeline's configuration as deployed now.
 */
export function awsOperatorDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): OperatorDeps {
  return {
    ...deployDepsWith(o11y, env, deferredAwsDeployControl),
    pipelines: new StateMachinePipelines(new SFNClient({})),
  };
}

/**
 * Who verifies callers: STS in the function's own region, or the endpoint the runtime (never the
 * caller) configured for the SDK (local mode's edge), for proofs naming this API's URL as the
 * template configured it; each proof it accepts is then used up.
 */
export function awsCallerVerifier(env: NodeJS.ProcessEnv = process.env): CallerVerifier {
  const table = env[OPERATOR_ENV.usedProofsTable];
  if (!table)
    throw new Error(`${OPERATOR_ENV.usedProofsTable} is not set: the operator API cannot keep used caller proofs`);
  const used = new DynamoDbUsedProofs(documentClient(new DynamoDBClient({})), table);
  return new OnceCallerVerifier(stsVerifier(env), used);
}

function stsVerifier(env: NodeJS.ProcessEnv): StsCallerVerifier {
  const url = env[OPERATOR_ENV.audience];
  if (!url) throw new Error(`${OPERATOR_ENV.audience} is not set: the operator API cannot tell proofs meant for it`);
  const others = JSON.parse(env[OPERATOR_ENV.otherAudiences] ?? '[]') as unknown;
  if (!Array.isArray(others) || !others.every((o) => typeof o === 'string'))
    throw new Error(`${OPERATOR_ENV.otherAudiences} must be a JSON array of URLs`);
  const audience = [url, ...others].map(operatorAudience);
  const endpoint = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL;
  if (endpoint) return new StsCallerVerifier(endpoint, audience);
  const region = env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set: the operator API cannot name its STS endpoint');
  return new StsCallerVerifier(stsEndpointFor(region), audience);
}

/** Who verifies the console's people: the config's `console:` issuer, when there is one. */
export function awsConsoleTokens(env: NodeJS.ProcessEnv = process.env): OidcTokenVerifier | undefined {
  const settings = oidcSettingsFromEnv(env);
  return settings === undefined ? undefined : new OidcTokenVerifier(settings);
}
