import type { Observability } from '../observability';
import { answerOidcRequest } from '../operators/operator-api';
import { awsOperatorDeps } from '../operators/wiring';
import { loadPipelineConfig } from '../pipelines/env';
import { OIDC_PRINCIPAL_PREFIX } from '../pipelines/principals';
import { consoleApp } from './app';
import { loadConsoleEnv } from './env';
import { OidcTokenVerifier } from './oidc';
import { OidcConsoleIdentity } from './oidc-identity';
import { consoleRefusalRecorder } from './refusals';
import { consoleReadPorts } from './wiring';

/** Where the console is mounted on its HTTP API. */
export const CONSOLE_BASE = '/console';

/**
 * The console in AWS: the same app as local mode's, reading through the SDK's default chain,
 * signing people in with the configured OIDC issuer, and acting through the operator use cases
 * in-process as the verified person (an `oidc:` principal, never an IAM one).
 */
export function awsConsoleApp(o11y: Observability, env: NodeJS.ProcessEnv = process.env) {
  const settings = loadConsoleEnv(env);
  const { runsTable } = loadPipelineConfig(env);
  const operatorDeps = awsOperatorDeps(o11y, env);
  const identity = new OidcConsoleIdentity(
    new OidcTokenVerifier(settings.verification),
    settings.people,
    settings.signIn,
  );
  return consoleApp({
    base: CONSOLE_BASE,
    identity,
    stream: false,
    ...(env.AWS_REGION ? { awsConsole: { region: env.AWS_REGION } } : {}),
    ports: {
      ...consoleReadPorts(
        {},
        {
          runsTable,
          auditTable: settings.auditTable,
          filterLogs: true,
          ...(settings.checkpoints ? { checkpoints: settings.checkpoints } : {}),
        },
      ),
      operator: (event, user) => {
        if (!user.principal.startsWith(OIDC_PRINCIPAL_PREFIX))
          throw new Error('the console in AWS acts only as OIDC-verified people');
        return answerOidcRequest(operatorDeps, event, { kind: 'oidc', principal: user.principal as `oidc:${string}` });
      },
      refused: consoleRefusalRecorder(operatorDeps),
    },
  });
}
