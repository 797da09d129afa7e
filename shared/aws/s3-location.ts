/**
 * S3 locations as builds report them, and the artifact port, without the S3 client: the steps
 * that only name or check a location (every pipeline step's wiring, provenance) do not load
 * \`@aws-sdk/client-s3\` (~18 ms of a cold start) for it; \`./s3\` is the adapter that does.
 */

/** Port: a build's artifacts (reports included), each read at the version its provenance attested. */
export interface ArtifactStore {
  /** One version of an object; with `maxBytes`, at most that many bytes from its start. */
  read(
    bucket: string,
    key: string,
    version: { readonly versionId: string; readonly maxBytes?: number },
  ): Promise<Buffer>;
}

/** \`arn:aws:s3:::bucket/prefix\` → bucket and prefix. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const path = location.replace(/^arn:aws[a-z-]*:s3:::/, '').replace(/^s3:\/\//, '');
  const slash = path.indexOf('/');
  return slash < 0
    ? { bucket: path, prefix: '' }
    : { bucket: path.slice(0, slash), prefix: path.slice(slash + 1).replace(/\/?$/, '/') };
}
