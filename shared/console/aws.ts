import { awsAuditLedger } from '../audit/wiring';
import type { Observability } from '../observability';
import { OidcTokenVerifier } from '../operators/oidc';
import type { RefusalDeps } from '../operators/operator-api';
import { refusalRecorder } from '../operators/refusals';
import { loadPipelineConfig } from '../pipelines/env';
import { consoleApp } from './app';
import { loadConsoleEnv } from './env';
import { OidcConsoleIdentity } from './oidc-identity';
import type { OperatorRelay } from './relay';
import { consoleReadPorts } from './wiring';

/** Where the console is mounted on its HTTP API. */
export const CONSOLE_BASE = '/console';

/**
 * The console in AWS: the same app as local mode's, reading through the SDK's default chain and
 * signing people in with the configured OIDC issuer. It takes no action itself: it relays each
 * to the operator API's function with the person's ID token, which that function verifies
 * again, so one function alone answers waiting steps and stops runs.
 */
export function awsConsoleApp(o11y: Observability, env: NodeJS.ProcessEnv = process.env) {
  const settings = loadConsoleEnv(env);
  const { runsTable } = loadPipelineConfig(env);
  const identity = new OidcConsoleIdentity(
    new OidcTokenVerifier(settings.verification),
    settings.people,
    settings.signIn,
  );
  // The Lambda client loads with the first action: a cold start that serves a page does not wait for it.
  let relay: Promise<OperatorRelay> | undefined;
  const reads = consoleReadPorts(
    {},
    {
      runsTable,
      auditTable: settings.auditTable,
      filterLogs: true,
      ...(settings.checkpoints ? { checkpoints: settings.checkpoints } : {}),
    },
  );
  const refusals: RefusalDeps = { runs: reads.runs, audit: awsAuditLedger(env), logger: o11y.logger };
  return consoleApp({
    base: CONSOLE_BASE,
    identity,
    stream: false,
    ...(env.AWS_REGION ? { awsConsole: { region: env.AWS_REGION } } : {}),
    ports: {
      ...reads,
      operator: async (event, user) => {
        relay ??= import('./relay').then((m) => m.lambdaRelay(settings.operatorFunction));
        return (await relay)(event, user);
      },
      refused: refusalRecorder(refusals),
    },
  });
}
