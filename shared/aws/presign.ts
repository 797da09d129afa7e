/** The query parameters a SigV4 presigned URL carries as its signature (not parameters of the call it signs). */
export const PRESIGN_PARAMETERS: ReadonlySet<string> = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
]);
