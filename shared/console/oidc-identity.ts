import { ConsoleTokenError, type OidcTokenVerifier } from '../operators/oidc';
import type { BrowserSignIn, ConsoleIdentity, ConsoleRefusal, ConsoleUser } from './ports';

/** The part of the Lambda adapter's env the identity reads: what API Gateway's JWT authorizer saw. */
interface LambdaEnv {
  readonly event?: { readonly requestContext?: { readonly authorizer?: { readonly jwt?: { claims?: unknown } } } };
}

/**
 * The console in AWS: who a request acts as is the person whose configured `oidc` values hold
 * the verified token's claim. The authorizer's claims are a first layer only (they must agree
 * on `sub`); an unknown or unverifiable person is refused with what to configure, never given
 * a default identity.
 */
export class OidcConsoleIdentity implements ConsoleIdentity {
  readonly choices: readonly string[] = [];

  constructor(
    private readonly verifier: Pick<OidcTokenVerifier, 'verify'>,
    /** Claim value → identity name, from `approvers.identities.<name>.oidc`. */
    private readonly people: Readonly<Record<string, string>>,
    readonly signIn: BrowserSignIn,
    /**
     * Whether every request must carry the claims of API Gateway's JWT authorizer. In AWS it must:
     * the public routes carry none, and a path that reaches the API through one of them
     * (`/console/runs/%2e%2e/%2e%2e/api/…`) skipped the authorizer. Off only where the app is served
     * without API Gateway (a test's own server).
     */
    private readonly authorizerRequired = true,
  ) {}

  async userOf(request: Request, env: unknown): Promise<ConsoleUser | ConsoleRefusal> {
    const authorized = subOf(env);
    if (authorized === undefined && this.authorizerRequired)
      return {
        refused:
          "this request did not pass API Gateway's JWT authorizer: call the console's API at /console/api/… with your bearer token",
      };
    const bearer = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
    if (bearer === undefined) return { refused: 'sign in: this request carries no bearer token' };
    let user: Awaited<ReturnType<OidcTokenVerifier['verify']>>;
    try {
      user = await this.verifier.verify(bearer);
    } catch (error) {
      if (!(error instanceof ConsoleTokenError)) throw error;
      return { refused: `sign in again: ${error.message} (${error.code})` };
    }
    if (authorized !== undefined && authorized !== user.sub)
      return { refused: 'sign in again: the token does not match the one API Gateway authorized' };
    const identity = Object.hasOwn(this.people, user.subject) ? this.people[user.subject] : undefined;
    if (identity === undefined)
      return {
        refused: `you are signed in as ${this.signIn.claim} "${user.subject}", which is nobody in gantry.config.yaml: add "${user.subject}" to approvers.identities.<your name>.oidc, deploy, and sign in again`,
        code: 'unknown_person',
        principal: user.principal,
      };
    return { identity, principal: user.principal, token: bearer };
  }
}

function subOf(env: unknown): string | undefined {
  const claims = (env as LambdaEnv | undefined)?.event?.requestContext?.authorizer?.jwt?.claims;
  const sub = (claims as { sub?: unknown } | undefined)?.sub;
  return typeof sub === 'string' ? sub : undefined;
}
