import type { Readable } from 'node:stream';

/** Port: the provenance signing key (KMS in AWS, the local KMS locally). Signs SHA-256 digests. */
export interface ProvenanceSigner {
  /** The key's ARN, recorded as the envelope's `keyid`. */
  readonly keyId: string;
  sign(digest: Buffer): Promise<Buffer>;
  /** True only for a valid signature by this key over the digest. */
  verify(digest: Buffer, signature: Buffer): Promise<boolean>;
}

/** One version of an object, as read. */
export interface ObjectVersion {
  readonly versionId: string;
  readonly body: Readable;
}

/** One version of a key, or a delete marker, as ListObjectVersions reports it. */
export interface StoredVersion {
  readonly key: string;
  readonly versionId: string;
  /** When S3 wrote it (S3's clock, whole seconds). */
  readonly lastModified: Date;
  readonly deleteMarker: boolean;
}

/** Port: the versioned artifacts bucket. Every read names or reports the exact version. */
export interface VersionedObjects {
  /** Every version and delete marker of every key under a prefix. */
  versions(bucket: string, prefix: string): Promise<StoredVersion[]>;
  /** The current version (or the one asked for); fails when the bucket reports no version id. */
  get(bucket: string, key: string, versionId?: string): Promise<ObjectVersion>;
  /** Writes a new version; returns its id. */
  put(bucket: string, key: string, body: Buffer, contentType: string): Promise<string>;
}

/** One phase of a build, as CodeBuild reports it (times ISO 8601; null while it runs). */
export interface BuildPhase {
  readonly type: string;
  readonly status: string | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
}

/** A build as CodeBuild reports it, not as a state's input claims it. */
export interface BuildInfo {
  readonly id: string;
  readonly arn: string;
  readonly projectName: string;
  readonly status: string;
  /** The commit CodeBuild resolved and built. */
  readonly resolvedSourceVersion: string | null;
  /** `arn:aws:s3:::bucket/prefix` */
  readonly artifactsLocation: string | null;
  readonly buildspec: string | null;
  /** Where the build's source came from; an S3 source is the snapshot FetchSource stored (`bucket/key`, its version). */
  readonly source?: { readonly type: string; readonly location: string | null; readonly version: string | null };
  readonly startTime: string | null;
  readonly endTime: string | null;
  /** Its phases in order; UPLOAD_ARTIFACTS is when CodeBuild itself wrote the artifacts. */
  readonly phases: readonly BuildPhase[];
}

/** Port: CodeBuild's record of a build. */
export interface BuildSource {
  getBuild(buildId: string): Promise<BuildInfo>;
}
