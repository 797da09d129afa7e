import { SFNClient } from '@aws-sdk/client-sfn';
import { deferredAwsDeployControl, deployDepsWith } from '../deploy/wiring';
import type { Observability } from '../observability';
import { StateMachinePipelines } from '../pipelines/aws';
import type { OperatorDeps } from './actions';
import { type CallerVerifier, StsCallerVerifier, stsEndpointFor } from './caller-proof';
import { OidcTokenVerifier, oidcSettingsFromEnv } from './oidc';

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
 * caller) configured for the SDK (local mode's edge).
 */
export function awsCallerVerifier(env: NodeJS.ProcessEnv = process.env): CallerVerifier {
  const endpoint = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL;
  if (endpoint) return new StsCallerVerifier(endpoint);
  const region = env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set: the operator API cannot name its STS endpoint');
  return new StsCallerVerifier(stsEndpointFor(region));
}

/** Who verifies the console's people: the config's `console:` issuer, when there is one. */
export function awsConsoleTokens(env: NodeJS.ProcessEnv = process.env): OidcTokenVerifier | undefined {
  const settings = oidcSettingsFromEnv(env);
  return settings === undefined ? undefined : new OidcTokenVerifier(settings);
}
