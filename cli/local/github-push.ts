/**
 * @deprecated Import from `./push-payloads`, which holds every provider's push shape; kept only
 * while `test/bench/plane.ts` still imports it from here.
 */
export { githubPushPayload, type PushFacts } from './push-payloads';
