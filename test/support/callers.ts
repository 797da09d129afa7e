import type { CallerVerifier } from '../../shared/operators/caller-proof';

/**
 * A verifier for use-case tests that are not about authentication: STS has named `principal`.
 * How proofs are verified is tested in test/unit/operators/caller-proof.test.ts.
 */
export function provenAs(principal: string): CallerVerifier {
  return { verify: async () => ({ ok: true, principal }) };
}
