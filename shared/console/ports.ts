import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ChangeDossier } from '../audit/evidence';
import type { AuditReader } from '../audit/reader';
import type { VerifyReport } from '../audit/verify';
import type { RefusedAction } from '../operators/refusals';
import type { DeployedPipelines } from '../pipelines/ports';
import type { RunRecord } from '../runs/model';
import type { RunQuery } from '../runs/store';

/** Who is signed in: a configured person and the principal the operator use cases know them by. */
export interface ConsoleUser {
  readonly identity: string;
  readonly principal: string;
  /** The ID token the person signed in with (AWS): relayed to the operator API, which verifies it again. */
  readonly token?: string;
}

/** What the console reads: the runs table, the ledger, the executions and the build logs. */
export interface ConsolePorts {
  readonly runs: { list(query: RunQuery): Promise<RunRecord[]>; get(runId: string): Promise<RunRecord | undefined> };
  /** Events as `gantry audit query` selects them, a chain's head (an export's manifest records it), whether a commit is known. */
  readonly audit: Pick<AuditReader, 'query' | 'head' | 'commitKnown' | 'chains' | 'countInChain'>;
  /**
   * The ledger verified as `gantry audit verify` verifies it (verifyLedger): slow on a large ledger,
   * so asked for on demand; and a run's dossier as `gantry audit evidence` builds it, its chain's
   * signed checkpoints checked too.
   */
  readonly ledger: { verify(): Promise<VerifyReport>; dossier(runId: string): Promise<ChangeDossier> };
  readonly executions: {
    /** The ASL the execution runs (DescribeStateMachineForExecution). */
    definition(executionArn: string): Promise<string>;
  };
  readonly logs: {
    /** Lines of a build log from `from` (a line index), up to `limit`, only those containing `filter`. */
    read(
      group: string,
      stream: string,
      options: { from: number; limit: number; filter?: string },
    ): Promise<{ lines: { n: number; text: string }[]; next: number }>;
  };
  /** The pipelines as deployed now: who may act on a run (the same authority the operator API uses). */
  readonly pipelines: DeployedPipelines;
  /**
   * The operator API's use cases, answered as the operator API answers them (decide, cancel,
   * retry, rollback, each refusal audited): the console never re-implements who may act.
   */
  readonly operator: (event: APIGatewayProxyEvent, user: ConsoleUser) => Promise<APIGatewayProxyResult>;
  /** Records an action refused for want of a person, as the operator API records its unproven callers. @default not recorded */
  readonly refused?: (refusal: RefusedAction) => Promise<void>;
}

/** Why a request has no person: a message saying what to do; `unknown_person` when signed in but not configured. */
export interface ConsoleRefusal {
  readonly refused: string;
  readonly code?: 'unknown_person';
  /** Who the request proved to be, when it proved anyone (`oidc:<value>` of a person not configured). */
  readonly principal?: string;
}

/** What the browser needs to sign in with authorization code + PKCE (public: no secret). */
export interface BrowserSignIn {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** The claim that names the person (shown when they are not configured). */
  readonly claim: string;
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
}

/** How a request's person is established: the local session cookie, or the JWT authorizer's claims. */
export interface ConsoleIdentity {
  /** The person the request acts as, or a refusal saying what to do. */
  userOf(request: Request, env: unknown): Promise<ConsoleUser | ConsoleRefusal>;
  /**
   * AWS: the browser signs in itself and sends a bearer token, so the HTML shell and its assets
   * are public (they hold nothing) and only the API needs a person.
   */
  readonly signIn?: BrowserSignIn;
  /** Local mode: the people the session may choose to act as. Empty in AWS (the token says who). */
  readonly choices: readonly string[];
  /** Local mode: a sign-in link's code exchanged for a session cookie (a redirect), else undefined. */
  exchange?(request: Request): Response | undefined;
  /** Local mode: the session acts as another configured person from now on; false when not one of `choices`. */
  choose?(request: Request, identity: string): boolean;
}
