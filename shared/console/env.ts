import * as z from 'zod/mini';
import { AUDIT_ENV } from '../audit/wiring';
import { jsonFromEnv, readEnv } from '../config/env';
import { OIDC_SETTINGS_ENV, OidcEnvSchema, type OidcSettings, verificationOf } from '../operators/oidc';
import type { BrowserSignIn } from './ports';

/** Environment variables the console construct sets and the console function reads. */
export const CONSOLE_ENV = {
  /** JSON: the `console:` block of the config (issuer, audience, claim, algorithms, endpoints, scopes). */
  oidc: OIDC_SETTINGS_ENV,
  /** JSON: claim value → identity name, from `approvers.identities.<name>.oidc`. */
  people: 'CONSOLE_PEOPLE',
  /** The operator API's function, which the console invokes to act (it verifies the person's token itself). */
  operatorFunction: 'OPERATOR_FUNCTION',
} as const;

export interface ConsoleEnv {
  readonly verification: OidcSettings;
  readonly signIn: BrowserSignIn;
  readonly people: Readonly<Record<string, string>>;
  /** The function that acts: the operator API's, invoked with the person's token. */
  readonly operatorFunction: string;
  /** The ledger the console searches (and the operator use cases append to). */
  readonly auditTable: string;
  /** The signed checkpoints the ledger's verification checks (key and bucket), when the construct granted them. */
  readonly checkpoints?: { readonly keyId: string; readonly bucket: string };
}

/** The console function's configuration, read once at cold start. */
export function loadConsoleEnv(env: NodeJS.ProcessEnv = process.env): ConsoleEnv {
  const e = readEnv(
    z.object({
      [CONSOLE_ENV.oidc]: jsonFromEnv(OidcEnvSchema),
      [CONSOLE_ENV.people]: jsonFromEnv(z.record(z.string(), z.string())),
      [CONSOLE_ENV.operatorFunction]: z.string().check(z.minLength(1)),
      [AUDIT_ENV.table]: z.string().check(z.minLength(1)),
      [AUDIT_ENV.checkpointKey]: z.optional(z.string().check(z.minLength(1))),
      [AUDIT_ENV.checkpointBucket]: z.optional(z.string().check(z.minLength(1))),
    }),
    env,
  );
  const o = e[CONSOLE_ENV.oidc];
  return {
    verification: verificationOf(o),
    signIn: {
      issuer: o.issuer,
      clientId: o.audience,
      scopes: o.scopes,
      claim: o.claim,
      ...(o.authorizationEndpoint ? { authorizationEndpoint: o.authorizationEndpoint } : {}),
      ...(o.tokenEndpoint ? { tokenEndpoint: o.tokenEndpoint } : {}),
    },
    people: e[CONSOLE_ENV.people],
    operatorFunction: e[CONSOLE_ENV.operatorFunction],
    auditTable: e[AUDIT_ENV.table],
    ...checkpointsOf(e[AUDIT_ENV.checkpointKey], e[AUDIT_ENV.checkpointBucket]),
  };
}

function checkpointsOf(keyId: string | undefined, bucket: string | undefined): Pick<ConsoleEnv, 'checkpoints'> {
  return keyId && bucket ? { checkpoints: { keyId, bucket } } : {};
}
