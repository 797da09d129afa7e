/** The operator API's own environment (beside the pipeline steps' `PIPELINE_ENV`). */
export const OPERATOR_ENV = {
  /** The table the operator API keeps used caller proofs in: the deliveries table. */
  usedProofsTable: 'DELIVERIES_TABLE_NAME',
  /** The operator API's own base URL (its stage's execute-api URL): every caller proof must name it. */
  audience: 'OPERATOR_API_URL',
} as const;

/** What every used caller proof's partition key starts with (the operator API may write only these). */
export const USED_PROOF_PREFIX = 'proof#';
