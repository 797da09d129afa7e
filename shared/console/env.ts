import * as z from 'zod';
import { AUDIT_ENV } from '../audit/wiring';
import { jsonFromEnv, readEnv } from '../config/env';
import type { OidcSettings } from './oidc';
import type { BrowserSignIn } from './ports';

/** Environment variables the console construct sets and the console function reads. */
export const CONSOLE_ENV = {
  /** JSON: the `console:` block of the config (issuer, audience, claim, algorithms, endpoints, scopes). */
  oidc: 'CONSOLE_OIDC',
  /** JSON: claim value → identity name, from `approvers.identities.<name>.oidc`. */
  people: 'CONSOLE_PEOPLE',
} as const;

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const OidcEnvSchema = z.object({
  issuer: z.string().startsWith('https://'),
  audience: z.string().min(1),
  claim: z.string().min(1),
  algorithms: z.array(z.enum(ALGORITHMS)).min(1),
  scopes: z.array(z.string()).min(1),
  jwksUri: z.string().startsWith('https://').optional(),
  authorizationEndpoint: z.string().startsWith('https://').optional(),
  tokenEndpoint: z.string().startsWith('https://').optional(),
});

export interface ConsoleEnv {
  readonly verification: OidcSettings;
  readonly signIn: BrowserSignIn;
  readonly people: Readonly<Record<string, string>>;
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
      [AUDIT_ENV.table]: z.string().min(1),
      [AUDIT_ENV.checkpointKey]: z.string().min(1).optional(),
      [AUDIT_ENV.checkpointBucket]: z.string().min(1).optional(),
    }),
    env,
  );
  const o = e[CONSOLE_ENV.oidc];
  return {
    verification: {
      issuer: o.issuer,
      audience: o.audience,
      claim: o.claim,
      algorithms: o.algorithms,
      ...(o.jwksUri ? { jwksUri: o.jwksUri } : {}),
    },
    signIn: {
      issuer: o.issuer,
      clientId: o.audience,
      scopes: o.scopes,
      claim: o.claim,
      ...(o.authorizationEndpoint ? { authorizationEndpoint: o.authorizationEndpoint } : {}),
      ...(o.tokenEndpoint ? { tokenEndpoint: o.tokenEndpoint } : {}),
    },
    people: e[CONSOLE_ENV.people],
    auditTable: e[AUDIT_ENV.table],
    ...checkpointsOf(e[AUDIT_ENV.checkpointKey], e[AUDIT_ENV.checkpointBucket]),
  };
}

function checkpointsOf(keyId: string | undefined, bucket: string | undefined): Pick<ConsoleEnv, 'checkpoints'> {
  return keyId && bucket ? { checkpoints: { keyId, bucket } } : {};
}
