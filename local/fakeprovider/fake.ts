import type { Provider } from '../../events';
import type { CommitState } from '../../shared/status';
import type { FakeAnswer, FakeCall, ProviderFake, RecordedStatus } from './types';
import { fullSha, isJsonObject, type JsonObject, matchRoute, type Problem, sentJson } from './validation';

/** A provider's refusals, each in its own error shape. */
export interface ErrorShapes {
  notFound(): FakeAnswer;
  unauthorized(): FakeAnswer;
  malformed(): FakeAnswer;
  unknownCommit(commit: string): FakeAnswer;
  invalid(problems: readonly Problem[]): FakeAnswer;
}

/** What a request's body says, read back into Gantry's vocabulary. */
export type ReadStatus = Pick<RecordedStatus, 'state' | 'providerState' | 'context' | 'description' | 'targetUrl'>;

/** The facts of one provider's status API that the fake checks. */
export interface FakeSpec {
  readonly provider: Provider;
  /** Matched on the raw path after the prefix; captures are decoded before `target` sees them. */
  readonly route: RegExp;
  target(captures: readonly string[]): { repository: string; commit: string } | undefined;
  authorized(call: FakeCall): boolean;
  /** Checks before the body (API version, headers); undefined to go on. */
  precheck?(call: FakeCall): FakeAnswer | undefined;
  validate(body: JsonObject): Problem[];
  read(body: JsonObject): ReadStatus;
  created(body: JsonObject, call: FakeCall): FakeAnswer;
  readonly errors: ErrorShapes;
}

/** Maps a provider state back to ours, `error` for what Gantry never sends. */
export function stateFrom(map: Readonly<Record<string, CommitState>>, value: string): CommitState {
  return map[value] ?? 'error';
}

/**
 * A fake that checks a request in the order the real APIs do: route (404), credentials (401),
 * body (400), commit, fields (400 or 422), and records what it accepts.
 */
export function statusFake(spec: FakeSpec): ProviderFake {
  return {
    provider: spec.provider,
    handle(call) {
      const captures = matchRoute(spec.route, call);
      const target = captures === undefined ? undefined : spec.target(captures);
      if (target === undefined) return spec.errors.notFound();
      if (!spec.authorized(call)) return spec.errors.unauthorized();
      const early = spec.precheck?.(call);
      if (early !== undefined) return early;
      if (!sentJson(call) || !isJsonObject(call.body)) return spec.errors.malformed();
      if (!fullSha(target.commit)) return spec.errors.unknownCommit(target.commit);
      const problems = spec.validate(call.body);
      if (problems.length > 0) return spec.errors.invalid(problems);
      const record = { provider: spec.provider, ...target, ...spec.read(call.body) };
      return { ...spec.created(call.body, call), record };
    },
  };
}
