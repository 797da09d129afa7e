import type { Provider } from '../../events';
import type { CommitState } from '../../shared/status';
import type { FakePullRequest } from './pulls';

/** A request as the fake received it: raw path (percent-encoding kept, query included), lower-case header names. */
export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A status the fake accepted, read back into Gantry's vocabulary. */
export interface RecordedStatus {
  readonly provider: Provider;
  /** In `SourceEvent.repository.fullName` form: path segments decoded and joined with `/`. */
  readonly repository: string;
  readonly commit: string;
  /** Lossy where the provider is: GitLab and Bitbucket have no "error", so `error` reads back as `failure`. */
  readonly state: CommitState;
  /** The state exactly as sent (`failed`, `SUCCESSFUL`, `succeeded`, …). */
  readonly providerState: string;
  /** The full context (Bitbucket's `name`, GitLab's `name`, Azure's `context.name`). */
  readonly context: string;
  readonly description: string | undefined;
  readonly targetUrl: string | undefined;
  readonly raw: RawRequest;
}

/** A request the fake refused, with the answer it gave (for a failing test to say why). */
export interface RefusedRequest {
  readonly provider: Provider | undefined;
  readonly status: number;
  readonly answer: unknown;
  readonly raw: RawRequest;
}

/**
 * A canned answer for the next request, whatever it is, before any validation: an HTTP answer
 * (429 with `Retry-After`, 503, a 203 sign-in page), or no answer at all until the server closes.
 */
export type Fault =
  | {
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: string;
    }
  | { readonly hang: true };

/** The running fake: one loopback server with a path prefix per provider (see `fakeApiUrl`). */
export interface FakeProviders {
  readonly url: string;
  /** Accepted statuses, oldest first. */
  statuses(): RecordedStatus[];
  /** Refused requests, oldest first. */
  refused(): RefusedRequest[];
  /** Every request received, faults included (to count attempts). */
  requests(): RawRequest[];
  /** Answers the next requests with these faults, one each, in order. */
  failNext(...faults: Fault[]): void;
  /** Forgets statuses, refusals, requests and pending faults (not the repositories). */
  clear(): void;
  /**
   * Makes `fullName` at `provider` the git repository in `dir`, so the fake's compare API lists
   * its commits (what pushing to the provider does); `gantry local push` calls it.
   */
  registerRepository(provider: string, fullName: string, dir: string): Promise<{ status: number; body: unknown }>;
  /** Records a merged pull request the "pull requests of a commit" APIs answer for (GitHub, Gitea, Forgejo). */
  registerPullRequest(provider: string, fullName: string, pr: FakePullRequest): { status: number; body: unknown };
  close(): Promise<void>;
}

/** One request as a provider fake sees it: the path after the provider prefix, the body parsed. */
export interface FakeCall {
  readonly method: string;
  /** Raw (still percent-encoded), without the prefix and the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body; undefined when the body is not JSON. */
  readonly body: unknown;
  /** Increases per accepted status, for the ids in answers. */
  readonly id: number;
}

/** The fake's answer: a status accepted (`record`) or refused in the provider's error shape. */
export interface FakeAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly record?: Omit<RecordedStatus, 'raw'>;
}

/** One provider's status API, faked: validates a call the way the real API would, and answers. */
export interface ProviderFake {
  readonly provider: Provider;
  handle(call: FakeCall): FakeAnswer;
}
