/** The operator API's own environment (beside the pipeline steps' `PIPELINE_ENV`). */
export const OPERATOR_ENV = {
  /** The table the operator API keeps used caller proofs in: the deliveries table. */
  usedProofsTable: 'DELIVERIES_TABLE_NAME',
  /** The operator API's own base URL (its stage's execute-api URL): every caller proof must name it, or one of `otherAudiences`. */
  audience: 'OPERATOR_API_URL',
  /** Other base URLs callers reach it by (custom domains, from the config), as a JSON array. */
  otherAudiences: 'OPERATOR_API_OTHER_URLS',
} as const;

/** What every used caller proof's partition key starts with (the operator API may write only these). */
export const USED_PROOF_PREFIX = 'proof#';
