/**
 * S3 locations as builds report them, and the artifact port, without the S3 client: the steps
 * that only name or check a location (every pipeline step's wiring, provenance) do not load
 * \`@aws-sdk/client-s3\` (~18 ms of a cold start) for it; \`./s3\` is the adapter that does.
 */

/** Port: a build's artifacts (reports included), by the location the build reported. */
export interface ArtifactStore {
  /** Object keys under an \`arn:aws:s3:::bucket/prefix\` location. */
  list(location: string): Promise<string[]>;
  read(location: string, key: string): Promise<Buffer>;
}

/** \`arn:aws:s3:::bucket/prefix\` → bucket and prefix. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const path = location.replace(/^arn:aws[a-z-]*:s3:::/, '').replace(/^s3:\/\//, '');
  const slash = path.indexOf('/');
  return slash < 0
    ? { bucket: path, prefix: '' }
    : { bucket: path.slice(0, slash), prefix: path.slice(slash + 1).replace(/\/?$/, '/') };
}
